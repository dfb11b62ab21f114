"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl on a unix socket in a temp dir.

The server binaries come from the machine (``initdb`` on PATH, or
``/usr/lib/postgresql/<version>/bin``). initdb refuses to run as root, so as root the
data directory is given to the ``postgres`` user (or ``nobody``) and the commands run
through ``runuser``. Only a unix socket is opened: no port is taken on the machine.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "find_bin"]


def find_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None``."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return Path(folder)
    return None


def _unprivileged_user() -> str | None:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


class PostgresServer:
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`url` names a database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="spyglass-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.socket.mkdir()
        self.user = None if os.geteuid() != 0 else _unprivileged_user()
        if os.geteuid() == 0:
            if self.user is None:
                raise RuntimeError("running as root and no postgres or nobody user for initdb")
            entry = pwd.getpwnam(self.user)
            for path in (self.root, self.socket):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        """initdb, then start the server listening on the unix socket only."""
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "spyglass",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-k {self.socket} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-l",
            str(self.root / "log"),
            "start",
        )

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://spyglass@/{database}?host={self.socket}"

    def create_database(self, name: str) -> str:
        """Create a database; return its URL."""
        import psycopg

        with psycopg.connect(
            f"host={self.socket} user=spyglass dbname=postgres", autocommit=True
        ) as conn:
            # FILE_COPY: copy the template's files (fsync is off) rather than WAL-log them.
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY = FILE_COPY')
        return self.url(name)
