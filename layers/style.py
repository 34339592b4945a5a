"""Map styles as data: measures, class breaks, palettes, point symbols, outlines and legend labels.

The print pages (``layers/print.py``) and the web map (``layers/web.py``) both read this
module, so a grid has the same colour on paper and on screen. Nothing here draws; the
module imports no plotting library.

Quick reference
---------------
``MEASURES[name]``
    A :class:`Measure` for ``"staffing"`` (actual / target, a ratio), ``"coverage"`` (share
    of a grid within reach of a service category, 0–1) and ``"households"`` (count).
``parse_measure("coverage:生活")``
    ``MeasureSpec(name="coverage", category="生活")``; raises ``GeoInputError`` for unknown names.
``class_breaks(values, measure)``
    The inner class edges (fixed for ratios, rounded quantiles for counts).
``classify(values, breaks)``
    Class index per value (``-1`` for missing), ``value >= breaks[i-1]`` and ``< breaks[i]``.
``palette_for(measure, n_classes)``
    The colours of ``n_classes`` classes (for a browser-side colour function).
``color_for(measure, value, breaks=...)`` / ``colors_for(measure, values, breaks=...)``
    Hex fill colour(s); ``NO_DATA_COLOR`` for missing values.
``legend_entries(measure, breaks, lang=...)``
    ``[(hex_colour, label), ...]`` in class order, then "no data".
``POINT_SYMBOLS[type]`` / ``point_symbol(type)``
    Marker, colour, size and an icon name for each service-point type of ``geo.schema.POINT_TYPES``.
``OUTLINES[level]``
    Line colour and width for ``city``, ``town``, ``community``, ``general``, ``micro`` outlines.

Examples
--------
>>> breaks = class_breaks([0.2, 0.9, 1.3], "staffing")
>>> breaks
(0.5, 0.8, 1.0)
>>> color_for("staffing", 1.3, breaks=breaks) == MEASURES["staffing"].palette[-1]
True
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from geo.errors import GeoInputError
from geo.messages import label, t
from geo.schema import CATEGORIES

NO_DATA_COLOR = "#d9d9d9"  # grey for grids without a value (no target, no coverage row)
EDGE_COLOR = "#555555"  # default polygon edge


@dataclass(frozen=True)
class Measure:
    """How one measure is classed and coloured.

    ``breaks`` are fixed inner class edges, or ``None`` for data-driven (quantile) breaks
    with ``n_classes`` classes. ``percent`` formats legend labels as percentages.
    ``lower``/``upper`` bound the legend's first/last label (``None``: open ended).
    ``label_key`` is the catalogue key of the measure's name.
    """

    name: str
    label_key: str
    palette: tuple[str, ...]
    breaks: tuple[float, ...] | None = None
    n_classes: int = 5
    percent: bool = False
    lower: float | None = 0.0
    upper: float | None = None


MEASURES: dict[str, Measure] = {
    # staffing rate = actual / target; red (short) -> green (at or above target)
    "staffing": Measure(
        name="staffing", label_key="measure.staffing",
        palette=("#d73027", "#fc8d59", "#fee08b", "#1a9850"),
        breaks=(0.5, 0.8, 1.0), percent=True, lower=0.0, upper=None,
    ),
    # coverage share (area or households) within reach of one service category
    "coverage": Measure(
        name="coverage", label_key="measure.coverage",
        palette=("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"),
        breaks=(0.2, 0.4, 0.6, 0.8), percent=True, lower=0.0, upper=1.0,
    ),
    # household count per unit: quantile breaks rounded to 2 significant digits
    "households": Measure(
        name="households", label_key="measure.households",
        palette=("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"),
        breaks=None, n_classes=5, percent=False, lower=0.0, upper=None,
    ),
}


@dataclass(frozen=True)
class MeasureSpec:
    """A parsed measure choice: ``name`` in ``MEASURES`` and, for coverage, a ``category``."""

    name: str
    category: str | None = None

    @property
    def measure(self) -> Measure:
        """The :class:`Measure` styling this choice."""
        return MEASURES[self.name]

    def title(self, lang: str = "zh") -> str:
        """The legend title, e.g. ``覆盖率（生活）``."""
        base = t(self.measure.label_key, lang)
        if self.category is None:
            return base
        return t("style.measure.with_category", lang, measure=base, category=label("category", self.category, lang))


def parse_measure(spec: str) -> MeasureSpec:
    """Parse ``staffing``, ``households``, ``coverage`` or ``coverage:<category>``.

    Plain ``coverage`` means category 生活 (daily life), the broadest one.

    Raises
    ------
    GeoInputError
        Code ``style.unknown_measure`` for an unknown name or category.
    """
    name, _, category = str(spec).strip().partition(":")
    name = name.strip().lower()
    category = category.strip()
    if name not in MEASURES or (category and name != "coverage"):
        msg = f"unknown measure {spec!r}"
        raise GeoInputError(msg, code="style.unknown_measure", measure=str(spec),
                            choices=", ".join([*MEASURES, *(f"coverage:{c}" for c in CATEGORIES)]))
    if name == "coverage":
        category = category or "生活"
        if category not in CATEGORIES:
            msg = f"unknown coverage category {category!r}"
            raise GeoInputError(msg, code="style.unknown_measure", measure=str(spec),
                                choices=", ".join(f"coverage:{c}" for c in CATEGORIES))
        return MeasureSpec(name, category)
    return MeasureSpec(name)


def _measure(measure: str | Measure | MeasureSpec) -> Measure:
    if isinstance(measure, Measure):
        return measure
    if isinstance(measure, MeasureSpec):
        return measure.measure
    return parse_measure(measure).measure


def _round_sig(x: float, digits: int = 2) -> float:
    if x <= 0 or not math.isfinite(x):
        return float(x)
    magnitude = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return float(round(x / magnitude) * magnitude)


def class_breaks(values: Iterable[float], measure: str | Measure | MeasureSpec) -> tuple[float, ...]:
    """Inner class edges for ``values`` under ``measure``.

    Fixed measures (staffing, coverage) always return their fixed edges, so maps of
    different units share one legend. Count measures (households) return up to
    ``n_classes - 1`` quantile edges rounded to 2 significant digits, deduplicated;
    missing values are ignored; no values give ``()`` (one class).
    """
    m = _measure(measure)
    if m.breaks is not None:
        return m.breaks
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return ()
    qs = np.quantile(arr, np.linspace(0, 1, m.n_classes + 1)[1:-1])
    edges = sorted({_round_sig(float(q)) for q in qs if float(q) > float(arr.min())})
    return tuple(edges)


def classify(values: Iterable[float], breaks: Sequence[float]) -> np.ndarray:
    """Class index per value: ``0`` below ``breaks[0]``, ``len(breaks)`` at or above the last edge.

    Missing (``None``/NaN) values get ``-1``.
    """
    arr = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    idx = np.searchsorted(np.asarray(breaks, dtype=float), arr, side="right")
    return np.where(np.isfinite(arr), idx, -1)


def palette_for(measure: str | Measure | MeasureSpec, n_classes: int) -> tuple[str, ...]:
    """``n_classes`` colours spread over the measure's palette (keeps both ends)."""
    m = _measure(measure)
    if n_classes >= len(m.palette):
        return m.palette
    if n_classes == 1:
        return (m.palette[len(m.palette) // 2],)
    picks = np.linspace(0, len(m.palette) - 1, n_classes).round().astype(int)
    return tuple(m.palette[i] for i in picks)


def colors_for(measure: str | Measure | MeasureSpec, values: Iterable[float], *,
               breaks: Sequence[float] | None = None) -> list[str]:
    """Hex fill colour per value (``NO_DATA_COLOR`` for missing values).

    ``breaks`` defaults to ``class_breaks(values, measure)``.
    """
    m = _measure(measure)
    vals = list(values)
    edges = class_breaks(vals, m) if breaks is None else tuple(breaks)
    pal = palette_for(m, len(edges) + 1)
    return [pal[i] if i >= 0 else NO_DATA_COLOR for i in classify(vals, edges)]


def color_for(measure: str | Measure | MeasureSpec, value: float | None, *,
              breaks: Sequence[float] | None = None) -> str:
    """Hex fill colour of one value; see :func:`colors_for`."""
    return colors_for(measure, [value], breaks=breaks)[0]


def _fmt(m: Measure, x: float) -> str:
    if m.percent:
        return f"{x * 100:.0f}%"
    return f"{x:,.0f}"


def legend_entries(measure: str | Measure | MeasureSpec, breaks: Sequence[float], *,
                   lang: str = "zh", no_data: bool = True) -> list[tuple[str, str]]:
    """``[(hex_colour, label), ...]`` for each class in order, then "no data" when ``no_data``.

    Labels read ``50%–80%`` or ``120–250``; the first class reads ``< 50%`` when the
    measure has no lower bound and the last ``≥ 100%`` when it has no upper bound.
    """
    m = _measure(measure)
    edges = list(breaks)
    pal = palette_for(m, len(edges) + 1)
    lows = [m.lower, *edges]
    highs = [*edges, m.upper]
    entries = []
    for colour, lo, hi in zip(pal, lows, highs):
        if lo is None and hi is None:
            label = t("style.legend.all", lang)
        elif lo is None:
            label = f"< {_fmt(m, hi)}"
        elif hi is None:
            label = f"≥ {_fmt(m, lo)}"
        else:
            label = f"{_fmt(m, lo)}–{_fmt(m, hi)}"
        entries.append((colour, label))
    if no_data:
        entries.append((NO_DATA_COLOR, t("style.legend.no_data", lang)))
    return entries


# --- service points ----------------------------------------------------------------

@dataclass(frozen=True)
class PointSymbol:
    """How a service-point type is drawn.

    ``marker`` is a matplotlib marker code, ``color`` a hex fill, ``size_pt`` the marker
    size in points (print), ``icon`` a short glyph for the web map (text, no icon font
    needed offline), ``radius_px`` the web circle-marker radius in pixels.
    """

    marker: str
    color: str
    size_pt: float
    icon: str
    radius_px: int = 6


POINT_SYMBOLS: dict[str, PointSymbol] = {
    "区域治理中心": PointSymbol("*", "#b2182b", 13.0, "★", 9),
    "社区工作站": PointSymbol("s", "#2166ac", 8.0, "■", 7),
    "党群服务中心": PointSymbol("P", "#d6604d", 8.5, "✚", 7),
    "农副产品展示交易点": PointSymbol("D", "#4d9221", 7.0, "◆", 6),
    "快递物流服务点": PointSymbol("v", "#8c510a", 7.0, "▼", 6),
    "社区安全屋": PointSymbol("h", "#762a83", 7.5, "⬢", 6),
    "村民活动中心": PointSymbol("^", "#e08214", 7.5, "▲", 6),
    "社区花园": PointSymbol("o", "#1b7837", 6.5, "●", 5),
    "社区运动角": PointSymbol("p", "#35978f", 7.0, "⬟", 5),
}
DEFAULT_POINT_SYMBOL = PointSymbol("o", "#404040", 6.0, "●", 5)


def point_symbol(point_type: str | None) -> PointSymbol:
    """The symbol of a service-point type (``DEFAULT_POINT_SYMBOL`` for unknown types)."""
    return POINT_SYMBOLS.get(str(point_type), DEFAULT_POINT_SYMBOL)


# --- outlines and households --------------------------------------------------------

@dataclass(frozen=True)
class LineStyle:
    """Outline colour (hex) and width in points (print; the web map uses ``width_pt`` as px)."""

    color: str
    width_pt: float
    dash: str = "solid"  # "solid" | "dashed"


OUTLINES: dict[str, LineStyle] = {
    "city": LineStyle("#000000", 1.6),
    "town": LineStyle("#252525", 1.2),
    "community": LineStyle("#525252", 0.8),
    "general": LineStyle("#737373", 0.5),
    "micro": LineStyle("#969696", 0.3, "dashed"),
    "dedicated": LineStyle("#6a3d9a", 0.5, "dashed"),
    "master": LineStyle("#525252", 0.8),
}
HIGHLIGHT = LineStyle("#e31a1c", 1.8)  # the selected unit (inset overview, notice board)
HOUSEHOLD_POINT = PointSymbol(".", "#636363", 3.0, "·", 2)  # building / household points


# --- governance: unit kinds and governance projects (issue 16) -----------------------

UNIT_KIND_COLORS: dict[str, str] = {  # geo.schema.MICRO_KINDS: qualitative, colour-blind safe
    "小区": "#8da0cb",  # compound: blue
    "林盘": "#66c2a5",  # linpan: green
    "院落": "#fc8d62",  # courtyard: orange
}
UNIT_KIND_MEASURE = "unit_kind"  # the map colouring choice "by unit kind" (categorical, no breaks)


def unit_kind_color(kind: object) -> str:
    """Fill colour of a micro-grid's unit kind (``NO_DATA_COLOR`` for none or unknown)."""
    return UNIT_KIND_COLORS.get(str(kind), NO_DATA_COLOR)


def unit_kind_legend(lang: str = "zh") -> list[tuple[str, str]]:
    """``[(hex colour, label), ...]`` of the three kinds, then "no kind set"."""
    return [(c, label("unit_kind", k, lang)) for k, c in UNIT_KIND_COLORS.items()] + [
        (NO_DATA_COLOR, label("unit_kind", "none", lang))]


PROJECT_SYMBOLS: dict[str, PointSymbol] = {  # geo.schema.PROJECT_KINDS: squares-with-dot family, distinct from points
    "主题社区": PointSymbol("H", "#984ea3", 10.0, "⬢", 8),
    "社区微更新": PointSymbol("X", "#ff7f00", 8.0, "✖", 6),
    "特色消费场景": PointSymbol("d", "#e7298a", 8.0, "◆", 6),
    "社区花园": PointSymbol("8", "#4daf4a", 8.0, "❀", 6),
    "社区运动角": PointSymbol("<", "#377eb8", 8.0, "◀", 6),
}


def project_symbol(kind: str | None) -> PointSymbol:
    """The symbol of a governance-project kind (``DEFAULT_POINT_SYMBOL`` for unknown kinds)."""
    return PROJECT_SYMBOLS.get(str(kind), DEFAULT_POINT_SYMBOL)
