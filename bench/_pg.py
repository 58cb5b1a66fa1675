"""A throwaway PostgreSQL cluster for a benchmark run, started from the local binaries.

Like ``tests/pg.py``: initdb and pg_ctl on a free loopback port, as the ``postgres`` system
user when running as root (PostgreSQL refuses to run as root). Unlike the test cluster it
keeps PostgreSQL's durable defaults (fsync, synchronous_commit), so commits cost what they
would in production.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SEARCH_DIRS = [f"/usr/lib/postgresql/{major}/bin" for major in (17, 16, 15)]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binaries() -> Path:
    """Return the folder holding initdb and pg_ctl, or raise naming where it looked."""
    candidates = [os.environ.get("GRANTS_TEST_PG_BIN", "")]
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    candidates.extend(SEARCH_DIRS)
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, in "
        "/usr/lib/postgresql/*/bin or in GRANTS_TEST_PG_BIN: apt-get install postgresql"
    )


@dataclass
class Cluster:
    """A running cluster owned by this process; ``stop`` stops it and deletes its files."""

    bin_dir: Path
    base: Path
    port: int
    as_root: bool

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def command(self, *args: str) -> list[str]:
        """Return ``args`` run as the postgres system user when we are root."""
        return ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)

    def pg_ctl(self, *args: str) -> None:
        pg_ctl = str(self.bin_dir / "pg_ctl")
        subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            self.command(pg_ctl, "-D", str(self.data_dir), *args), check=True, capture_output=True
        )

    def stop(self) -> None:
        try:
            self.pg_ctl("-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # never started, or already stopped
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> Cluster:
    """Create and start a cluster on a free loopback port, and wait until it answers."""
    base = Path(tempfile.mkdtemp(prefix="grants-bench-pg-"))
    as_root = os.geteuid() == 0
    if as_root:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    cluster = Cluster(find_binaries(), base, free_port(), as_root)
    try:
        initdb = str(cluster.bin_dir / "initdb")
        subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            cluster.command(
                initdb, "-D", str(cluster.data_dir), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync",
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {base}"
        cluster.pg_ctl("-o", options, "-l", str(base / "log"), "-w", "start")
        _wait_ready(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _wait_ready(cluster: Cluster, timeout: float = 20.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres").close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
