"""``grants serve`` answers over loopback on both engines."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from sqlalchemy import Engine

from tests.conftest import cli_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_health_checks_and_pages(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    url = engine.url.render_as_string(hide_password=False)
    server = subprocess.Popen(
        [sys.executable, "-m", "grants", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=cli_env(url, tmp_path / "var"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx2.get(f"{base}/healthz", timeout=2)
                break
            except httpx2.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.2)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok"}
        assert "Grants tracker" in httpx2.get(base, timeout=5).text
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_worker_starts_with_every_template_compiled_its_helper_up_and_its_heap_frozen(
    tmp_path: Path,
) -> None:
    probe = (
        "import gc, os\n"
        "from grants import offload\n"
        "from grants.app import serving_app\n"
        "from grants.templating import environment\n"
        "serving_app()\n"
        "env = environment()\n"
        "started = offload._pool is not None\n"
        "helper = offload.render(os.getpid) != os.getpid()\n"
        "print(gc.get_freeze_count(), len(env.cache), len(env.list_templates(['html'])),"
        " int(started and helper))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=cli_env(f"sqlite:///{tmp_path / 'grants.db'}", tmp_path / "var"),
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, compiled, templates, helper = map(int, done.stdout.split())
    assert helper == 1, "no rendering helper was started"
    assert frozen > 100_000, "the start-up heap is not frozen"
    assert compiled == templates > 20
