"""Messages for computation on Dask (``--scheduler``) and the synthetic city."""
from __future__ import annotations

MESSAGES = {
    "distributed.arg.scheduler": {
        "zh": "用 Dask 并行计算：threads（多线程）、processes（多进程）或集群调度器地址（如 tcp://10.0.0.5:8786）；"
              "不填则单进程计算（结果相同）",
        "en": "compute on Dask: threads, processes, or a cluster scheduler address (e.g. tcp://10.0.0.5:8786); "
              "without it one process computes (same results)",
    },
    "distributed.bad_scheduler": {
        "zh": "无法识别的调度器“{scheduler}”。可用：{valid}。",
        "en": "Unknown scheduler \"{scheduler}\". Use one of: {valid}.",
    },
    "distributed.bad_scheduler.fix.cli": {
        "zh": "请改用 --scheduler threads、--scheduler processes 或 --scheduler tcp://主机:端口。",
        "en": "Pass --scheduler threads, --scheduler processes or --scheduler tcp://host:port.",
    },
    "distributed.bad_scheduler.fix.web": {
        "zh": "请让管理员把 Dask 调度器设为 threads、processes 或集群地址 tcp://主机:端口。",
        "en": "Ask the administrator to set the Dask scheduler to threads, processes or a cluster tcp://host:port.",
    },
    "distributed.duplicate_grid_codes": {
        "zh": "网格编码重复（{count} 个，如 {ids}），分区计算无法区分这些网格。请先修正编码（“检查”会列出重复项）。",
        "en": "{count} grid codes repeat (e.g. {ids}): a partitioned run cannot tell those grids apart. "
              "Fix the codes first (the check lists the duplicates).",
    },
    "distributed.duplicate_grid_codes.fix.cli": {
        "zh": "或不加 --scheduler，单进程计算。",
        "en": "Or run without --scheduler on one process.",
    },
    "distributed.duplicate_grid_codes.fix.web": {
        "zh": "或改为单进程计算。",
        "en": "Or compute on one process.",
    },
    "distributed.network_unsupported": {
        "zh": "沿路网的覆盖分析暂不支持 Dask 并行计算。",
        "en": "Coverage along a walking network does not run on Dask yet.",
    },
    "distributed.network_unsupported.fix.cli": {
        "zh": "请去掉 --scheduler（单进程计算路网覆盖），或去掉 --network（直线距离可并行）。",
        "en": "Drop --scheduler (network coverage on one process) or --network (straight-line coverage runs on Dask).",
    },
    "distributed.network_unsupported.fix.web": {
        "zh": "路网覆盖请单进程计算，或改用直线距离。",
        "en": "Compute network coverage on one process, or use straight-line distance.",
    },
}
