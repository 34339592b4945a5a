"""Dashboard charts as Altair specs (no Streamlit): shares on % axes, every label shown, spread and target lines."""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

ROW_PX = 22  # height of one labelled bar: every unit's label fits, none is skipped


def _axis_percent(title: str) -> alt.Axis:
    return alt.Axis(format="%", title=title)


def worst_units_chart(shares: pd.Series, *, title: str, target: float, target_label: str,
                      worst: int = 15) -> alt.LayerChart:
    """The ``worst`` lowest ``shares`` (unit name -> 0..1) as bars, lowest first, with the target as a line.

    Every unit's name is drawn (no label thinning); the x axis reads in percent.
    """
    values = shares.dropna().sort_values(kind="stable").head(worst)
    frame = pd.DataFrame({"unit": values.index.astype(str), "share": values.to_numpy(dtype=float)})
    top = max(1.0, float(frame["share"].max()) if len(frame) else 1.0, target)
    x = alt.X("share:Q", axis=_axis_percent(title), scale=alt.Scale(domain=[0, top]))
    y = alt.Y("unit:N", sort=list(frame["unit"]), title=None,
              axis=alt.Axis(labelOverlap=False, labelLimit=240))
    bars = alt.Chart(frame).mark_bar().encode(
        x=x, y=y, tooltip=[alt.Tooltip("unit:N", title=" "), alt.Tooltip("share:Q", format=".0%", title=title)])
    rule_data = pd.DataFrame({"share": [target], "label": [target_label]})
    rule = alt.Chart(rule_data).mark_rule(color="#d7301f", strokeDash=[4, 3], size=2).encode(x="share:Q")
    text = alt.Chart(rule_data).mark_text(align="left", dx=4, dy=-6, color="#d7301f").encode(
        x="share:Q", y=alt.value(0), text="label:N")
    return alt.layer(bars, rule, text).properties(height=max(80, ROW_PX * len(frame)))


def share_bars_chart(shares: pd.Series, *, title: str) -> alt.Chart:
    """Shares (label -> 0..1) as bars in the given order, y axis in percent from 0 to 100 %."""
    frame = pd.DataFrame({"label": shares.index.astype(str), "share": shares.to_numpy(dtype=float)})
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("label:N", sort=list(frame["label"]), title=None, axis=alt.Axis(labelAngle=0, labelOverlap=False)),
        y=alt.Y("share:Q", axis=_axis_percent(title), scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("share:Q", format=".0%", title=title)],
    ).properties(height=240)


def binned_counts_chart(counts: pd.Series, *, title: str, bin_title: str,
                        highlight: Sequence[str] = ()) -> alt.Chart:
    """Counts per bin (label -> n) in the given (numeric) order; bins in ``highlight`` (the target bands) stand out."""
    frame = pd.DataFrame({"bin": counts.index.astype(str), "n": counts.to_numpy(dtype=int)})
    frame["in_band"] = frame["bin"].isin(list(highlight))
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("bin:N", sort=list(frame["bin"]), title=bin_title, axis=alt.Axis(labelAngle=0, labelOverlap=False)),
        y=alt.Y("n:Q", title=title, axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.condition("datum.in_band", alt.value("#2166ac"), alt.value("#9ecae1")),
        tooltip=[alt.Tooltip("bin:N", title=bin_title), alt.Tooltip("n:Q", title=title)],
    ).properties(height=240)
