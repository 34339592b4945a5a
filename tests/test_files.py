"""Atomic writes (geo.files): whole new file or the old one, never a half file or a leftover temp."""
from __future__ import annotations

import os

import pytest

from geo.files import atomic_path, write_atomic


def test_write_atomic__writes_exact_bytes_and_creates_folders(tmp_path):
    data = bytes(range(256)) * 40 + "网格\r\n".encode()
    path = write_atomic(tmp_path / "sub" / "a.bin", data)
    assert path == tmp_path / "sub" / "a.bin"
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir()] == ["a.bin"]


def test_write_atomic__replaces_whole_file(tmp_path):
    path = tmp_path / "a.bin"
    write_atomic(str(path), b"x" * 1000)
    write_atomic(path, b"short")
    assert path.read_bytes() == b"short" and len(list(tmp_path.iterdir())) == 1


def test_atomic_path__temp_beside_target_with_same_suffix(tmp_path):
    target = tmp_path / "map.png"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp != target
        assert tmp.exists() and not target.exists()
        tmp.write_bytes(b"png")
    assert target.read_bytes() == b"png"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_atomic_path__writer_raises_keeps_old_file_and_no_temp(tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_bytes(b"half a fi")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_atomic_path__writer_deletes_temp_then_fails_cleanly(tmp_path):
    target = tmp_path / "spots.gpkg"
    with pytest.raises(FileNotFoundError), atomic_path(target) as tmp:
        os.unlink(tmp)  # the writer never created its file
    assert list(tmp_path.iterdir()) == []


def test_atomic_path__no_parent_folder_without_create_dirs(tmp_path):
    with pytest.raises(OSError), atomic_path(tmp_path / "missing" / "d.csv", create_dirs=False):
        pass
    assert list(tmp_path.iterdir()) == []


def test_write_atomic__gives_the_usual_permissions_not_mkstemps_0600(tmp_path):
    import os
    import stat

    from geo.files import _UMASK, write_atomic

    path = write_atomic(tmp_path / "out.csv", b"x")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~_UMASK
