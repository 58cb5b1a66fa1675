"""CSRF: every state-changing form needs this session's token and a same-origin request.

For each form POST the app has (/login, /logout, /account/password, /milestones/{id}/submit)
each way of getting it wrong is refused with 403 and changes nothing; the right token from this
site is accepted, so the refusals are the CSRF check's doing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlmodel import select

from grants import db
from grants.models import LoginAttempt, Milestone, User
from tests.conftest import Demo
from tests.helpers import (
    EVIDENCE,
    OWN_PASSWORD,
    Browser,
    add_user,
    count,
    milestone_state,
    new_milestone,
    sessions_of,
    signed_in,
)

REFUSED = "The form expired or came from another site"
NEW_PASSWORD = "a fresh and private passphrase"


@dataclass
class Form:
    """One form, ready to post from ``browser``."""

    browser: Browser
    path: str
    fields: dict[str, str]
    token: str  # the right token for this browser
    other_token: str  # a valid token of another browser
    state: Callable[[], Any]  # what a refused post must leave unchanged
    files: dict[str, Any] | None = None


def _login_form(app: FastAPI, demo: Demo) -> Form:
    email = add_user(demo.engine)
    browser = Browser(app)

    def state() -> tuple[int, int]:
        with db.read_session(demo.engine) as session:
            attempts = count(session, LoginAttempt, LoginAttempt.email == email)
        return len(sessions_of(demo.engine, email)), attempts

    return Form(
        browser,
        "/login",
        {"email": email, "password": OWN_PASSWORD, "next": "/projects"},
        browser.token("/login"),
        Browser(app).token("/login"),
        state,
    )


def _signed_in_form(
    app: FastAPI, demo: Demo, path: str, fields: dict[str, str], state: Callable[[str], Any]
) -> Form:
    email = add_user(demo.engine)
    browser = signed_in(app, email, OWN_PASSWORD)
    other = signed_in(app, add_user(demo.engine), OWN_PASSWORD)
    return Form(
        browser,
        path,
        fields,
        browser.token("/projects"),
        other.token("/projects"),
        lambda: state(email),
    )


def _logout_form(app: FastAPI, demo: Demo) -> Form:
    return _signed_in_form(
        app,
        demo,
        "/logout",
        {},
        lambda email: [s.revoked_at for s in sessions_of(demo.engine, email)],
    )


def _password_form(app: FastAPI, demo: Demo) -> Form:
    def state(email: str) -> tuple[str, list[object]]:
        with db.read_session(demo.engine) as session:
            hashed = session.exec(select(User.password_hash).where(User.email == email)).one()
        return hashed, [s.revoked_at for s in sessions_of(demo.engine, email)]

    return _signed_in_form(
        app,
        demo,
        "/account/password",
        {
            "current_password": OWN_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        state,
    )


def _version(demo: Demo, milestone: int) -> int:
    with db.read_session(demo.engine) as session:
        found = session.get(Milestone, milestone)
        assert found is not None
        return found.version


def _submit_form(app: FastAPI, demo: Demo) -> Form:
    # The account is a partner editor of JO-ZARQA, responsible for the new milestone.
    milestone = new_milestone(demo.engine, "ZRQ-WOMEN", "JO-ZARQA")
    form = _signed_in_form(
        app,
        demo,
        f"/milestones/{milestone}/submit",
        {"version": str(_version(demo, milestone))},
        lambda _email: milestone_state(demo.engine, milestone),
    )
    form.files = EVIDENCE
    return form


FORMS: dict[str, Callable[[FastAPI, Demo], Form]] = {
    "login": _login_form,
    "logout": _logout_form,
    "change password": _password_form,
    "submit milestone": _submit_form,
}
# How each attempt differs from a good post: (token to send, headers, send our Origin?)
Token = str | None  # "right", "other", a literal, or None for no token field
ATTEMPTS: dict[str, tuple[Token, dict[str, str], bool]] = {
    "no token": (None, {}, True),
    "empty token": ("", {}, True),
    "wrong token": ("forged-token-0123456789abcdefghijklmnopqrstuv", {}, True),
    "another session's token": ("other", {}, True),
    "right token, foreign Origin": ("right", {"Origin": "https://evil.example"}, True),
    "right token, look-alike Origin": ("right", {"Origin": "http://testserver.evil.example"}, True),
    "right token, other scheme": ("right", {"Origin": "https://testserver"}, True),
    "right token, Origin null": ("right", {"Origin": "null"}, True),
    "right token, no Origin or Referer": ("right", {}, False),
    "right token, foreign Referer": ("right", {"Referer": "https://evil.example/x"}, False),
}


def _post(form: Form, token: Token, headers: dict[str, str], origin: bool) -> Response:
    fields = dict(form.fields)
    if token is not None:
        fields["csrf_token"] = {"right": form.token, "other": form.other_token}.get(token, token)
    return form.browser.post(form.path, fields, files=form.files, headers=headers, origin=origin)


class SharedForms:
    """One form of each kind for the module: refused posts leave them as they were.

    A form whose state changed (a post that should have been refused went through) is made
    anew, so one failure does not hide or cause others.
    """

    def __init__(self, app: FastAPI, demo: Demo) -> None:
        self.app, self.demo = app, demo
        self.made: dict[str, tuple[Form, Any]] = {}

    def __getitem__(self, name: str) -> Form:
        if name in self.made:
            form, state = self.made[name]
            if form.state() == state:
                return form
        form = FORMS[name](self.app, self.demo)
        self.made[name] = (form, form.state())
        return form


@pytest.fixture(scope="module")
def shared_forms(app: FastAPI, demo: Demo) -> SharedForms:
    return SharedForms(app, demo)


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
@pytest.mark.parametrize("name", list(FORMS))
def test_a_forged_form_post_is_refused_and_changes_nothing(
    shared_forms: SharedForms, name: str, attempt: str
) -> None:
    form = shared_forms[name]
    before = form.state()
    response = _post(form, *ATTEMPTS[attempt])
    assert response.status_code == 403, (name, attempt, response.status_code)
    assert REFUSED in response.text
    assert not [h for h in response.headers.get_list("set-cookie") if "grants_session=" in h]
    assert form.state() == before


@pytest.mark.parametrize(
    ("how", "headers", "origin"),
    [
        ("with Origin", {}, True),
        ("with a same-origin Referer only", {"Referer": "http://testserver/projects"}, False),
    ],
)
@pytest.mark.parametrize("name", list(FORMS))
def test_the_right_token_from_this_site_is_accepted(
    app: FastAPI, demo: Demo, name: str, how: str, headers: dict[str, str], origin: bool
) -> None:
    form = FORMS[name](app, demo)
    before = form.state()
    response = _post(form, "right", headers, origin)
    assert response.status_code == 303, (name, how, response.text)
    assert form.state() != before


@pytest.mark.parametrize("name", [name for name in FORMS if name != "login"])
def test_get_never_changes_anything(app: FastAPI, demo: Demo, name: str) -> None:
    form = FORMS[name](app, demo)
    before = form.state()
    response = form.browser.get(form.path, params={"csrf_token": form.token, **form.fields})
    assert response.status_code in {200, 405}
    assert form.state() == before
