"""Messages of the unit tree (geo.hierarchy) and the roll-up (geo.rollup)."""
from __future__ import annotations

MESSAGES = {
    "qa.kind.check.sliver": {"zh": "边界细缝（坐标取整所致，已忽略）", "en": "Hairline sliver (rounding, ignored)"},
    "ui.dash.coverage": {"zh": "生活服务覆盖率（{radius} 米）", "en": "Daily-life coverage ({radius} m)"},
    "place.unnamed": {"zh": "本项目区域（{code}）", "en": "Project area ({code})"},
    "place.unnamed_nocode": {"zh": "本项目区域", "en": "Project area"},
    "hierarchy.source.code": {"zh": "原有代码", "en": "given code"},
    "hierarchy.source.chain": {"zh": "由上级网格推得", "en": "from the parent grid"},
    "hierarchy.source.overlap": {"zh": "按最大重叠推断", "en": "inferred by largest overlap"},
    "check.parent_inferred": {
        "zh": "{layer} 中 {feature_id} 的上级 {detail} 由空间重叠推断为 {related_id}（已写入项目，请核对）",
        "en": "the parent ({detail}) of {feature_id} in {layer} was inferred by overlap as {related_id} "
              "(written into the project; please check it)",
    },
}
