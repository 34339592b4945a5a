"""Progress of long runs: one callable ``progress(stage, done, total)`` passed keyword-only; stages are catalogue keys.

A long run (import, assignment, coverage, export, atlas) takes ``progress: Progress | None = None``
and calls it at each step with a stage key from ``STAGES`` (zh+en text in ``geo.messages.progress``),
the steps done so far and the steps in that stage. Front ends decide how to show it: the app
with ``st.progress``, the command line with a bar on a terminal (``cli.progress``). ``geo``
never draws anything itself.
"""
from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]

# the stages of each long run, in the order they are reported
STAGES: dict[str, tuple[str, ...]] = {
    "import": ("progress.import.read", "progress.import.check", "progress.import.save"),
    "assign": ("progress.assign.points", "progress.assign.staffing"),
    "coverage": ("progress.coverage.households", "progress.coverage.reach"),
    "export": ("progress.export.tables", "progress.export.write"),
    "atlas": ("progress.atlas.pages", "progress.atlas.merge"),
}
ALL_STAGES: tuple[str, ...] = tuple(key for keys in STAGES.values() for key in keys)


def report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Call ``progress`` (when given) with a known ``stage`` key; ``done`` of ``total`` steps (0 <= done <= total).

    Raises
    ------
    ValueError
        For a stage key not in ``STAGES`` or counts out of range (a programming error, not user input).
    """
    if progress is None:
        return
    if stage not in ALL_STAGES or not 0 <= done <= total:
        msg = f"bad progress report {stage!r} {done}/{total}; stages are {ALL_STAGES}"
        raise ValueError(msg)
    progress(stage, done, total)


def recorder() -> tuple[Progress, list[tuple[str, int, int]]]:
    """A ``Progress`` that appends every report to the returned list (for tests and benchmarks)."""
    seen: list[tuple[str, int, int]] = []

    def record(stage: str, done: int, total: int) -> None:
        seen.append((stage, done, total))

    return record, seen
