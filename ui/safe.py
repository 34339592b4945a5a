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

from geo.values import strip_controls

_BREAKS = re.compile("[\t\n\r]+")
# every ASCII punctuation Markdown, GFM, maths or Streamlit's directives give a meaning
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:&=^\"'])")
_SHORTCODE = re.compile(r":(?=[\w/+-])")  # :emoji: and :material/icon: work on the parsed text
ZWSP = "\u200b"


def visible(value: object) -> str:
    """``value`` as one line of text without control or bidi-override characters (None/NaN → "")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _BREAKS.sub(" ", strip_controls(str(value)))


def plain(value: object) -> str:
    """``value`` for a Streamlit Markdown sink: shown literally (no Markdown, HTML, maths, emoji).

    Every Markdown punctuation is backslash-escaped (CommonMark shows it as itself, ``\\$``
    is Streamlit's literal dollar) and a zero-width space follows a ``:`` that could start
    a shortcode. Catalogue text passes through unchanged in appearance, so whole messages
    that embed user data can be wrapped.
    """
    text = _MARKDOWN.sub(r"\\\1", visible(value))
    return _SHORTCODE.sub(":" + ZWSP, text)
