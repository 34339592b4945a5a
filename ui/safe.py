"""Text is text: user data (unit, person, organisation names, file names) shown literally in Streamlit.

Streamlit renders Markdown (with ``$…$`` maths, ``:color[…]`` directives and ``:emoji:``
shortcodes) in ``st.markdown``/``caption``/``subheader``/``info``/``warning``/``error``/``write``,
widget and button labels, ``st.metric`` labels, tab and expander labels and progress text. An
imported name ``![x](http://…)`` would make the offline app fetch that URL, ``$x^2$`` would
render as maths. Those sinks get :func:`plain`; option lists, dataframes and ``st.text`` show
text as-is and get :func:`visible` (control and bidi-override characters removed).
"""
from __future__ import annotations

import math
import re

from geo.values import markdown_literal, strip_controls

_BREAKS = re.compile("[\t\n\r]+")
_SHORTCODE = re.compile(r":(?=[\w+-])")  # :emoji:, :material/icon: and :red[…] work on the parsed text
ZWSP = "\u200b"


def visible(value: object) -> str:
    """``value`` as one line of text without control or bidi-override characters (None/NaN → "")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _BREAKS.sub(" ", strip_controls(str(value)))


def plain(value: object) -> str:
    """``value`` for a Streamlit Markdown sink: shown literally (no Markdown, HTML, maths, emoji).

    ``geo.values.markdown_literal`` (escaped Markdown punctuation, ``\\$`` is Streamlit's literal
    dollar, HTML as entities), and a zero-width space after a ``:`` that could start a shortcode
    or directive. Catalogue text looks the same through it, so whole messages embedding user
    data can be wrapped.
    """
    return _SHORTCODE.sub(":" + ZWSP, markdown_literal(visible(value)))
