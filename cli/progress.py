"""The command line's progress bar: drawn on stderr only when stderr is a terminal (nothing when piped)."""
from __future__ import annotations

import sys
from typing import TextIO

from geo.messages import t
from geo.progress import Progress

BAR_WIDTH = 24


def progress_bar(lang: str, *, stream: TextIO | None = None) -> Progress | None:
    """A ``geo.progress.Progress`` drawing ``stage [#####-----] done/total`` on ``stream`` (default stderr).

    Returns None when ``stream`` is not a terminal, so logs and pipes get no bar characters.
    A stage's line ends with a newline once ``done == total``.
    """
    out = stream if stream is not None else sys.stderr
    if not (hasattr(out, "isatty") and out.isatty()):
        return None

    def draw(stage: str, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        line = t("progress.line", lang, stage=t(stage, lang), done=done, total=total)
        out.write(f"\r{line} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}]")
        if done >= total:
            out.write("\n")
        out.flush()

    return draw
