"""A throwaway PostgreSQL/PostGIS cluster for the tests (started once per test session).

``new_database_url(name)`` returns the ``postgresql://`` URL of a fresh, empty database with the
``postgis`` extension on that cluster; the cluster is created on first use (``initdb`` into a
temporary folder, ``pg_ctl start`` on a free port, unix socket in /tmp) and stopped and deleted when
the test process exits. Nothing is left running and nothing touches a system PostgreSQL.

``initdb`` refuses to run as root: when the tests run as root the cluster runs as the ``postgres``
OS user Debian's ``postgresql`` package creates (``runuser -u postgres --``), which also owns the data
folder. Binaries: ``$GRIDATLAS_PG_BIN``, else the newest ``/usr/lib/postgresql/*/bin`` (Debian), else
the ``PATH``. Without them the database tests are skipped, unless ``GRIDATLAS_REQUIRE_DB=1``
(``scripts/test.sh`` and CI set it): then they fail, so CI never passes without running them.

Two roles: ``postgres`` (superuser, trusted on 127.0.0.1: the tests' URLs carry no password) and
``planner`` with the password ``PLANNER_PASSWORD`` (scram-sha-256), for tests of password handling.
"""
from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

PLANNER_USER = "planner"
PLANNER_PASSWORD = "s3cret-Pw_for-tests"  # noqa: S105 - a throwaway cluster's test role
_lock = threading.Lock()
_cluster: Cluster | None = None


def pg_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (None when PostgreSQL is not installed)."""
    if os.environ.get("GRIDATLAS_PG_BIN"):
        return Path(os.environ["GRIDATLAS_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(re.search(r"/(\d+)/bin/", p).group(1)))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One running throwaway cluster: data folder, port, socket folder."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="gridatlas-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.socket_dir = self.root  # short path: unix socket names are limited to ~100 bytes
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.run_as = "postgres" if os.geteuid() == 0 else None
        self._count = 0

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> None:
        """initdb, configure (port, socket, auth), start, create the ``planner`` role."""
        self.root.chmod(0o755)
        if self.run_as:
            shutil.chown(self.root, user=self.run_as)
        subprocess.run(self._cmd(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                                 "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
                       check=True, capture_output=True)
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.socket_dir}'\nfsync = off\n"
                       "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\n"
                       "shared_buffers = 64MB\n")
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all {PLANNER_USER} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n", encoding="utf-8")
        if self.run_as:
            shutil.chown(self.data / "pg_hba.conf", user=self.run_as)
        result = subprocess.run(self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                          "-w", "-t", "60", "start"), capture_output=True, text=True)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            msg = f"pg_ctl start failed: {result.stdout}{result.stderr}\n{log}"
            raise RuntimeError(msg)
        self.execute("postgres", f"CREATE ROLE {PLANNER_USER} LOGIN SUPERUSER PASSWORD '{PLANNER_PASSWORD}'")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        subprocess.run(self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                                 "stop"), capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str, *, user: str = "postgres", password: str | None = None) -> str:
        """A ``postgresql://`` URL of ``dbname`` on this cluster (TCP, 127.0.0.1)."""
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"postgresql://{auth}127.0.0.1:{self.port}/{dbname}"

    def execute(self, dbname: str, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, name: str) -> str:
        """Create a fresh database (with PostGIS) named after ``name``; return its name."""
        with _lock:
            self._count += 1
            n = self._count
        safe = re.sub(r"[^a-z0-9_]", "_", name.lower())[:40] or "db"
        dbname = f"t{n}_{safe}"
        self.execute("postgres", f'CREATE DATABASE "{dbname}"')
        self.execute(dbname, "CREATE EXTENSION IF NOT EXISTS postgis")
        return dbname


def cluster() -> Cluster:
    """The session's cluster, started on first use (skips, or fails under GRIDATLAS_REQUIRE_DB=1, without PostgreSQL)."""
    global _cluster
    with _lock:
        if _cluster is not None:
            return _cluster
        bin_dir = pg_bin_dir()
        if bin_dir is None or not (bin_dir / "initdb").exists():
            msg = "PostgreSQL is not installed (run scripts/setup.sh --dev)"
            if os.environ.get("GRIDATLAS_REQUIRE_DB") == "1":
                pytest.fail(msg)
            pytest.skip(msg)
        started = Cluster(bin_dir)
        try:
            started.start()
        except Exception:
            started.stop()
            raise
        atexit.register(started.stop)
        _cluster = started
        return started


def new_database_url(name: str = "p") -> str:
    """The URL of a new, empty PostGIS database on the session's throwaway cluster."""
    c = cluster()
    return c.url(c.new_database(name))
