"""Signing in: one answer for any wrong credentials, throttling, and where ``next`` may lead.

Each test uses accounts of its own and, for throttling, a client address of its own, so the
failures it records count against nobody else.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import update
from sqlmodel import col

from grants import db
from grants.app import create_app
from grants.config import Settings
from grants.models import LoginAttempt, utcnow
from tests.conftest import Demo
from tests.helpers import OWN_PASSWORD, Browser, add_user, sessions_of, signed_in

WRONG = "Unknown email or wrong password."
TOO_MANY = "Too many failed attempts"
_hosts = itertools.count(1)


def client_host() -> str:
    """A client address no other test signs in from."""
    number = next(_hosts)
    return f"10.9.{number // 250}.{number % 250 + 1}"


def _main(response: Response) -> str:
    page = response.text
    return re.sub(
        r'name="csrf_token" value="[^"]*"', "", page[page.index("<main") : page.index("</main>")]
    )


def _attempt(app: FastAPI, host: str, email: str, password: str) -> Response:
    return Browser(app, client_host=host).sign_in(email, password, check=False)


def test_unknown_email_and_wrong_password_get_the_same_answer(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    unknown_email = "nobody-by-this-name@example.org"
    unknown = _attempt(app, client_host(), unknown_email, OWN_PASSWORD)
    wrong = _attempt(app, client_host(), email, "not the right password")
    assert unknown.status_code == wrong.status_code == 400
    assert WRONG in unknown.text
    assert WRONG in wrong.text
    assert _main(unknown).replace(unknown_email, "EMAIL") == _main(wrong).replace(email, "EMAIL")
    for response in (unknown, wrong):
        assert not [h for h in response.headers.get_list("set-cookie") if "grants_session=" in h]
    assert sessions_of(demo.engine, email) == []


def test_failures_for_one_account_are_throttled(
    app: FastAPI, demo: Demo, settings: Settings
) -> None:
    email, bystander = add_user(demo.engine), add_user(demo.engine)
    host = client_host()
    # Variants of the address are the same account: they count together.
    variants = itertools.cycle([email, email.upper(), f"  {email} "])
    for _ in range(settings.login_max_failures_per_account):
        assert _attempt(app, host, next(variants), "a wrong guess at it").status_code == 400
    refused = _attempt(app, host, email, OWN_PASSWORD)
    assert refused.status_code == 429, "even the right password waits"
    assert refused.headers["retry-after"] == str(settings.login_window_minutes * 60)
    assert TOO_MANY in refused.text
    assert sessions_of(demo.engine, email) == []
    assert _attempt(app, host, bystander, OWN_PASSWORD).status_code == 303, "others still work"
    # The guesser's address is throttled for this account, the real user elsewhere is not.
    assert _attempt(app, client_host(), email, OWN_PASSWORD).status_code == 303


def test_guessing_one_account_from_many_addresses_is_throttled(
    demo: Demo, settings: Settings
) -> None:
    limit = 4
    limited = create_app(
        settings.model_copy(update={"login_max_failures_per_account_total": limit}), demo.engine
    )
    email = add_user(demo.engine)
    for _ in range(limit):
        assert _attempt(limited, client_host(), email, "a wrong guess").status_code == 400
    assert _attempt(limited, client_host(), email, OWN_PASSWORD).status_code == 429


def test_the_account_throttle_lifts_after_the_window(
    app: FastAPI, demo: Demo, settings: Settings
) -> None:
    email = add_user(demo.engine)
    host = client_host()
    for _ in range(settings.login_max_failures_per_account):
        _attempt(app, host, email, "a wrong guess at it")
    assert _attempt(app, host, email, OWN_PASSWORD).status_code == 429
    window = dt.timedelta(minutes=settings.login_window_minutes)
    with db.write_session(demo.engine) as session:
        session.execute(
            update(LoginAttempt)
            .where(col(LoginAttempt.email) == email)
            .values(at=utcnow() - window - dt.timedelta(seconds=1))
        )
    assert _attempt(app, host, email, OWN_PASSWORD).status_code == 303


def test_failures_from_one_client_are_throttled(demo: Demo, settings: Settings) -> None:
    limit = 3
    limited = create_app(
        settings.model_copy(update={"login_max_failures_per_client": limit}), demo.engine
    )
    victim = add_user(demo.engine)
    host = client_host()
    for number in range(limit):
        guess = _attempt(limited, host, f"guess{number}@example.org", "a wrong guess")
        assert guess.status_code == 400
    refused = _attempt(limited, host, victim, OWN_PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(settings.login_window_minutes * 60)
    assert _attempt(limited, client_host(), victim, OWN_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/projects", "/projects"),
        ("/projects?page=2", "/projects?page=2"),
        ("https://evil.example", "/"),
        ("https://evil.example/projects", "/"),
        ("//evil.example", "/"),
        ("///evil.example", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("http:/evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_leads_within_the_site(
    app: FastAPI, demo: Demo, target: str, expected: str
) -> None:
    email = add_user(demo.engine)
    login_page = Browser(app).get("/login", params={"next": target})
    shown = re.search(r'name="next" value="([^"]*)"', login_page.text)
    assert shown is not None
    assert shown.group(1).replace("&amp;", "&") in {expected, "/"}
    response = Browser(app).sign_in(email, OWN_PASSWORD, next=target)
    assert response.headers["location"] == expected
    already = signed_in(app, email, OWN_PASSWORD).get("/login", params={"next": target})
    assert already.status_code == 303
    assert already.headers["location"] == expected
