"""``progress_bar()``: an ``st.progress`` bar that shows a long run's stage name (a ``geo.progress.Progress``)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from geo.progress import Progress
from ui.i18n import tr


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """Yield a ``Progress`` drawing ``st.progress`` with the stage's catalogue text; the bar goes when the run ends."""
    bar = st.progress(0.0, text=tr("ui.run.running"))

    def draw(stage: str, done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=tr("progress.line", stage=tr(stage), done=done, total=total))

    try:
        yield draw
    finally:
        bar.empty()
