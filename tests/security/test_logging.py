"""Structured log lines for sign-ins, denials and failures, never with a secret in them.

One scenario runs per engine with a handler on the ``grants`` logger: a sign-in, a failed
and a throttled sign-in, denials (404 out of scope, 403 not allowed, CSRF, bad API token), a
server error and API calls with a token. The tests then read what was logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI

from grants.api.deps import ApiPrincipal
from grants.app import create_app
from grants.config import Settings
from grants.http.deps import Public
from grants.logs import JsonFormatter
from grants.models import Role
from tests.conftest import Demo
from tests.helpers import (
    EVIDENCE,
    Browser,
    add_user,
    api,
    attach_evidence,
    csrf_of,
    make_token,
    new_milestone,
    user_id,
)

SECRET_PASSWORD = "correct-horse-Secret-7f3a9c"
WRONG_GUESSES = ["first-wrong-Guess-91b2", "second-wrong-Guess-c4d8"]


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Scenario:
    records: list[logging.LogRecord]
    secrets: dict[str, str] = field(default_factory=dict)
    user_id: int = 0


def _boom_app(demo: Demo, settings: Settings) -> FastAPI:
    app = create_app(settings, demo.engine)

    def boom(principal: Public) -> None:
        raise RuntimeError("the failure")

    def api_boom(principal: ApiPrincipal) -> None:
        raise RuntimeError("the failure")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/v1/boom", api_boom)
    return app


@pytest.fixture(scope="module")
def scenario(demo: Demo, app: FastAPI, settings: Settings) -> Iterator[Scenario]:
    boom_app = _boom_app(demo, settings)  # create_app resets the handlers: make apps first
    email = add_user(demo.engine, Role.PARTNER_VIEWER, "JO-ZARQA", password=SECRET_PASSWORD)
    throttled = add_user(demo.engine, password=SECRET_PASSWORD)
    token = make_token(demo.engine, email)
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    attach_evidence(demo.engine, milestone)
    collector = Collector()
    logger = logging.getLogger("grants")
    logger.addHandler(collector)
    found = Scenario(collector.records, user_id=user_id(demo.engine, email))
    try:
        wrong = Browser(app, client_host="10.8.0.1")
        wrong.sign_in(email, WRONG_GUESSES[0], check=False)
        guesser = Browser(app, client_host="10.8.0.2")
        for _ in range(settings.login_max_failures_per_account):
            guesser.sign_in(throttled, WRONG_GUESSES[1], check=False)
        assert guesser.sign_in(throttled, SECRET_PASSWORD, check=False).status_code == 429

        browser = Browser(app, client_host="10.8.0.3")
        browser.sign_in(email, SECRET_PASSWORD)
        cookie = browser.cookie()
        assert cookie
        csrf = csrf_of(browser.get("/projects").text)
        outside = browser.get(f"/projects/{demo.extras.outside_project}")
        assert outside.status_code == 404
        submit = browser.post(
            f"/milestones/{milestone}/submit", {"csrf_token": csrf}, files=EVIDENCE
        )
        assert submit.status_code == 403
        assert browser.post("/logout", {"csrf_token": "not-the-token"}).status_code == 403

        client = api(app, token)
        assert client.get("/api/v1/me").status_code == 200
        assert client.get(f"/api/v1/projects/{demo.extras.outside_project}").status_code == 404
        assert client.post(f"/api/v1/milestones/{milestone}/submit").status_code == 403
        bad_token = token[:-6] + "XXXXXX"
        assert api(app, bad_token).get("/api/v1/me").status_code == 401

        assert Browser(boom_app).get("/boom").status_code == 500
        assert api(boom_app, token).get("/api/v1/boom").status_code == 500
        found.secrets = {
            "password": SECRET_PASSWORD,
            "wrong password": WRONG_GUESSES[0],
            "throttled guess": WRONG_GUESSES[1],
            "session cookie": cookie,
            "CSRF token": csrf,
            "API token": token,
            "API token body": token.removeprefix("gt_"),
            "bad API token": bad_token,
        }
        yield found
    finally:
        logger.removeHandler(collector)


def _events(scenario: Scenario, event: str) -> list[logging.LogRecord]:
    return [r for r in scenario.records if getattr(r, "event", None) == event]


def _values(records: list[logging.LogRecord], name: str) -> list[object]:
    """The structured field ``name`` of each record (None where it is missing)."""
    return [getattr(record, name, None) for record in records]


def test_a_sign_in_is_logged_with_who_and_from_where(scenario: Scenario) -> None:
    logins = [
        r for r in _events(scenario, "login") if getattr(r, "user_id", None) == scenario.user_id
    ]
    assert _values(logins, "client") == ["10.8.0.3"]


def test_failed_and_throttled_sign_ins_are_logged(scenario: Scenario, settings: Settings) -> None:
    failed = _events(scenario, "login_failed")
    assert set(_values(failed, "client")) == {"10.8.0.1", "10.8.0.2"}
    assert len(failed) == 1 + settings.login_max_failures_per_account
    assert _values(_events(scenario, "login_throttled"), "client") == ["10.8.0.2"]


def test_denials_are_logged(scenario: Scenario) -> None:
    denied = _events(scenario, "denied")
    assert set(_values(denied, "status")) >= {403, 404}
    assert set(_values(denied, "reason")) >= {"csrf", "bad_token"}
    paths = [str(path) for path in _values(denied, "path")]
    assert "/logout" in paths
    assert any(path.startswith("/api/v1/projects/") for path in paths), "API denials too"
    assert any(path.startswith("/projects/") for path in paths), "page denials too"


def test_server_errors_are_logged_with_the_path_and_error_type(scenario: Scenario) -> None:
    errors = _events(scenario, "server_error")
    assert set(_values(errors, "path")) == {"/boom", "/api/v1/boom"}
    assert all(r.levelno == logging.ERROR for r in errors)
    assert set(_values(errors, "error")) == {"RuntimeError"}
    lines = [json.loads(JsonFormatter().format(r)) for r in errors]
    assert all("Traceback" in line["traceback"] for line in lines), "the log keeps the trace"


def test_every_record_is_one_json_line_with_an_event(scenario: Scenario) -> None:
    formatter = JsonFormatter()
    assert scenario.records
    for record in scenario.records:
        line = formatter.format(record)
        assert "\n" not in line
        parsed = json.loads(line)
        assert parsed["event"], parsed
        assert parsed["logger"].startswith("grants")


def test_no_record_holds_a_password_cookie_or_token(scenario: Scenario) -> None:
    formatter = JsonFormatter()
    assert scenario.secrets
    leaks = []
    for record in scenario.records:
        texts = [formatter.format(record), record.getMessage()]
        texts.extend(repr(value) for value in vars(record).values())
        for name, secret in scenario.secrets.items():
            if any(secret in text for text in texts):
                leaks.append(f"{name} in {record.name} {getattr(record, 'event', '')}")
    assert leaks == []
