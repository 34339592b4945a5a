"""Atomic file writes: a temp file beside the target, fsync, ``os.replace``; never half a file.

Readers of the target see either the old file or the whole new one. A temp file is named
``.<stem>.<random>.tmp<suffix>`` in the target's folder (same file system, so ``os.replace``
is atomic) and is removed when the writer fails.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it; done once, at import, before any thread starts
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@contextmanager
def atomic_path(path: str | Path, *, create_dirs: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and move it onto ``path``.

    For writers that need a file name (openpyxl, matplotlib ``savefig``, ``PdfPages``,
    pyogrio). The temp file exists (empty) and has the same suffix as ``path``.

    Parameters
    ----------
    path
        The target file.
    create_dirs
        Create the target's missing parent folders first.

    Raises
    ------
    OSError
        When the temp file cannot be created or moved. Any exception in the ``with``
        body deletes the temp file, leaves ``path`` untouched and is re-raised.

    Examples
    --------
    >>> with atomic_path(tmp_dir / "map.png") as tmp:  # doctest: +SKIP
    ...     fig.savefig(tmp, format="png")
    """
    path = Path(os.path.realpath(path))  # through a symlink: replace the file it names, not the link
    if create_dirs:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see ``atomic_path``); return ``path`` as a Path.

    Missing parent folders are created.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
