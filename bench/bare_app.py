"""The benchmarks' yardstick: a bare FastAPI endpoint returning a fixed list of 50 projects.

No database, no authentication, no middleware: what FastAPI and uvicorn alone cost for a
response the size of a page of the project list. Run it as ``grants serve`` runs the app::

    python bench/bare_app.py --port 8001
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

import uvicorn
from fastapi import FastAPI

TODAY = dt.date(2026, 1, 15)


def project(n: int) -> dict[str, Any]:
    """Return a project shaped like the API's ``ProjectRead``."""
    start = TODAY - dt.timedelta(days=200 + n)
    stamp = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.UTC).isoformat()
    return {
        "id": n,
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
        "reference": f"BN2-{n:05d}",
        "call_id": 2,
        "title": f"Access to health services for migrants in Sfax ({n})",
        "summary": "Access to health services with and for migrants in Sfax, run by the "
        "municipality and a local civil-society partner.",
        "city": "Sfax",
        "country": "TN",
        "currency": "EUR",
        "awarded_amount": "42500.0000",
        "planned_start": start.isoformat(),
        "planned_end": (start + dt.timedelta(days=540)).isoformat(),
        "manager_id": 1,
        "status": "active",
        "status_reason": None,
        "actual_start": (start + dt.timedelta(days=7)).isoformat(),
        "actual_end": None,
    }


PAGE = {
    "items": [project(n) for n in range(1, 51)],
    "total": 1433,
    "limit": 50,
    "offset": 0,
    "next": "/api/v1/projects?status=active&country=TN&limit=50&offset=50",
}
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/projects")
def projects() -> dict[str, Any]:
    """Return the same page of 50 projects whatever the query."""
    return PAGE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, workers=1, proxy_headers=True)


if __name__ == "__main__":
    main()
