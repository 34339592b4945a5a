"""Where a command may write: never over a GridAtlas project it was not asked to update.

Every output path a command takes goes through ``guard_output`` before any work is written;
the write itself goes through ``geo.files`` (atomic) or ``save_project``. Paths are compared
as files (``os.path.samefile`` when both exist, else fully resolved), so a relative path, an
absolute path, ``a/../p.gpkg`` and a symlink all name the same project.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from geo.errors import GeoInputError
from geo.schema import META
from geo.values import file_stamp


class OutputRefusedError(GeoInputError):
    """An output path points at a project (or another output) the command must not replace."""

    code = "output.is_project"


def is_project_file(path: str | Path) -> bool:
    """True when ``path`` is an existing GeoPackage holding GridAtlas's ``meta`` table."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (META,)).fetchone()
    except sqlite3.Error:  # not an SQLite file at all
        return False
    finally:
        conn.close()
    return row is not None


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name the same file (aliases, ``..`` and symlinks resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return Path(a).resolve() == Path(b).resolve()


def guard_output(path: str | Path, *, command: str, updates: str | Path | None = None,
                 others: tuple[str | Path | None, ...] = ()) -> Path:
    """Return ``path`` if ``command`` may write it; raise ``OutputRefusedError`` otherwise.

    Parameters
    ----------
    path
        The output file (a folder is allowed and not checked: the caller checks the file in it).
    command
        The subcommand, named in the message.
    updates
        The project this command is meant to update: writing to it (under any alias) is allowed.
    others
        Other paths of the same run (inputs, the other outputs) that ``path`` must not also name.

    Raises
    ------
    OutputRefusedError
        ``output.is_project`` when ``path`` is an existing GridAtlas project other than
        ``updates``; ``output.same_file`` when it names one of ``others``.
    """
    path = Path(path)
    if path.is_dir():
        return path
    if updates is not None and same_file(path, updates):
        return path
    if is_project_file(path):
        msg = f"{path} is a GridAtlas project; {command} does not overwrite it"
        code = "output.other_project" if updates is not None else "output.is_project"
        raise OutputRefusedError(msg, code=code, file=str(path), command=command,
                                 project=str(updates) if updates is not None else "")
    for other in others:
        if other is not None and same_file(path, other):
            msg = f"{path} is also {other}"
            raise OutputRefusedError(msg, code="output.same_file", file=str(path), other=str(other),
                                     command=command)
    return path


def backup_path(path: str | Path) -> Path:
    """Where ``keep_backup`` copies ``path``: ``<stem>.bak-<UTC stamp><suffix>`` beside it (never reused)."""
    path = Path(path)
    stamp = file_stamp()
    candidate = path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.bak-{stamp}-{n}{path.suffix}")
    return candidate


def keep_backup(path: str | Path) -> Path | None:
    """Copy an existing ``path`` to ``backup_path(path)`` before it is replaced; the copy (None if absent)."""
    path = Path(path)
    if not path.exists():
        return None
    backup = backup_path(path)
    shutil.copy2(path, backup)
    return backup
