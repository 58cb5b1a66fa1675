"""Helper processes for long rendering: big workbooks and PDFs leave the request's process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from grants import offload, tables
from reports import pdf

HTML = "<html><body><h1>Progress report</h1><p>Done.</p></body></html>"


def _pid() -> int:
    return os.getpid()


def _dies_in_a_helper() -> str:
    if offload._in_helper:
        os._exit(3)  # as a helper killed for want of memory would
    return "done in the calling thread"


def _fails(text: str) -> None:
    raise ValueError(text)


def test_render_runs_in_a_helper_process_and_keeps_it() -> None:
    first = offload.render(_pid)
    assert first != os.getpid()
    assert offload.render(_pid) == first  # one helper, started once


def test_an_error_in_the_helper_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="no such sheet"):
        offload.render(_fails, "no such sheet")


def test_a_helper_that_dies_is_replaced_and_the_work_is_done_anyway(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert offload.render(_dies_in_a_helper) == "done in the calling thread"
    assert "render_helpers_broken" in caplog.text
    assert offload.render(_pid) != os.getpid()  # a new pool serves the next call


def test_no_helpers_renders_in_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(offload, "helpers", lambda: 0)
    assert offload.render(_pid) == os.getpid()


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    sent: list[str] = []
    real = offload.render

    def spy(function: Any, *args: object) -> Any:
        sent.append(function.__name__)
        return real(function, *args)

    monkeypatch.setattr(offload, "render", spy)
    return sent


def test_a_big_workbook_is_written_by_a_helper_with_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [(number, f"Expense {number}", number * 1.5) for number in range(800)]
    sheets = {"expenses": (["id", "description", "amount"], rows)}
    small = {"expenses": (["id", "description", "amount"], rows[:10])}
    sent = _spy(monkeypatch)
    big = tables.workbook_bytes(sheets)
    tables.workbook_bytes(small)
    assert sent == ["_workbook"]  # 2,400 cells go out; 30 stay
    monkeypatch.setattr(offload, "helpers", lambda: 0)
    assert tables.workbook_bytes(sheets) == big


def test_a_pdf_is_printed_by_a_helper_with_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _spy(monkeypatch)
    printed = pdf.to_pdf(HTML, attachments=[("data.csv", b"a,b\r\n1,2\r\n")])
    assert sent == ["_print"]
    assert printed.startswith(b"%PDF-")
    monkeypatch.setattr(offload, "helpers", lambda: 0)
    assert pdf.to_pdf(HTML, attachments=[("data.csv", b"a,b\r\n1,2\r\n")]) == printed


def test_start_brings_the_helpers_up_before_the_first_render() -> None:
    offload.shutdown()
    assert offload._pool is None
    offload.start()
    assert offload._pool is not None
    pool = offload._pool[1]
    assert offload.render(_pid) != os.getpid()
    assert offload._pool[1] is pool  # the same pool: nothing started on first use


SERVER = """
import os, sys
from grants import offload
offload.start()
print(offload.render(os.getpid), flush=True)
sys.stdin.read()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not alive either
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to see a process end")
def test_a_helper_exits_when_its_server_process_is_killed(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=os.environ | {"GRANTS_DATABASE_URL": f"sqlite:///{tmp_path / 'grants.db'}"},
    )
    assert server.stdout is not None
    helper = int(server.stdout.readline())
    assert helper != server.pid
    assert _alive(helper)
    server.kill()  # no exit handler runs
    server.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(helper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(helper), "the helper outlived its server"
