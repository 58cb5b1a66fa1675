"""Server-side sessions: fixation, sign-out, deactivation, timeouts, cookie flags, passwords.

Each test signs in with an account of its own, so the sessions it ends are nobody else's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy import update
from sqlmodel import col, select

from grants import db
from grants.app import create_app
from grants.config import Settings
from grants.models import User, UserSession, utcnow
from grants.services import sessions
from grants.services.access import SYSTEM
from tests.conftest import Demo
from tests.helpers import (
    OWN_PASSWORD,
    SECURE_BASE_URL,
    Browser,
    add_user,
    api,
    csrf_of,
    make_token,
    sessions_of,
    signed_in,
)

NEW_PASSWORD = "another long private passphrase"
WRONG = "Unknown email or wrong password."


def set_cookie(response: Response, name: str) -> dict[str, str]:
    """Return the attributes (lower-cased names) of the Set-Cookie header for ``name``."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        cookie, _sep, value = first.partition("=")
        if cookie == name:
            found = {"": value}
            for attribute in attributes:
                key, _sep, val = attribute.partition("=")
                found[key.lower()] = val
            return found
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _goes_to_sign_in(response: Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def _age_session(demo: Demo, session_id: int, **values: dt.datetime) -> None:
    with db.write_session(demo.engine) as session:
        session.execute(
            update(UserSession).where(col(UserSession.id) == session_id).values(**values)
        )


# Fixation


def test_sign_in_issues_a_new_session_id_and_ignores_a_planted_one(
    app: FastAPI, demo: Demo
) -> None:
    email = add_user(demo.engine)
    planted = "planted-by-an-attacker-0123456789abcdef"
    browser = Browser(app)
    browser.plant(planted)
    assert _goes_to_sign_in(browser.get("/projects")), "a planted cookie is no session"
    login_csrf = browser.token("/login")
    response = browser.sign_in(email, OWN_PASSWORD)
    issued = set_cookie(response, "grants_session")[""]
    assert issued not in {planted, login_csrf, browser.cookie("grants_login_csrf")}
    assert len(issued) >= 40
    assert browser.cookie() == issued
    assert browser.get("/projects").status_code == 200
    assert set_cookie(response, "grants_login_csrf")["max-age"] == "0", "pre-sign-in token ends"
    stored = sessions_of(demo.engine, email)[-1]
    assert stored.token_hash == hashlib.sha256(issued.encode()).hexdigest() != issued
    attacker = Browser(app)
    attacker.plant(planted)
    assert _goes_to_sign_in(attacker.get("/projects"))


def test_each_sign_in_gets_its_own_session(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    first, second = signed_in(app, email, OWN_PASSWORD), signed_in(app, email, OWN_PASSWORD)
    assert first.cookie() != second.cookie()
    assert first.token("/projects") != second.token("/projects"), "CSRF tokens are per session"


# Ending sessions


def test_a_cookie_replayed_after_sign_out_is_refused(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    browser = signed_in(app, email, OWN_PASSWORD)
    cookie = browser.cookie()
    assert cookie
    response = browser.post("/logout", {"csrf_token": browser.token("/projects")})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert set_cookie(response, "grants_session")["max-age"] == "0"
    assert sessions_of(demo.engine, email)[-1].revoked_at is not None
    replay = Browser(app)
    replay.plant(cookie)
    response = replay.get("/projects")
    assert _goes_to_sign_in(response)
    assert response.headers["location"] == "/login?next=/projects"


def test_deactivation_signs_the_user_out_and_stops_their_token(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    browser = signed_in(app, email, OWN_PASSWORD)
    token = make_token(demo.engine, email)
    assert browser.get("/projects").status_code == 200
    assert api(app, token).get("/api/v1/me").status_code == 200
    with db.write_session(demo.engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        sessions.deactivate_user(session, SYSTEM, user, utcnow())
    assert _goes_to_sign_in(browser.get("/projects"))
    assert all(s.revoked_at is not None for s in sessions_of(demo.engine, email))
    refused = api(app, token).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    again = Browser(app).sign_in(email, OWN_PASSWORD, check=False)
    assert again.status_code == 400
    assert WRONG in again.text


# Timeouts


def test_an_idle_session_ends(app: FastAPI, demo: Demo, settings: Settings) -> None:
    email = add_user(demo.engine)
    browser = signed_in(app, email, OWN_PASSWORD)
    stored = sessions_of(demo.engine, email)[-1]
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    _age_session(demo, stored.id, last_seen_at=utcnow() - idle + dt.timedelta(minutes=2))
    assert browser.get("/projects").status_code == 200, "still within the idle limit"
    refreshed = sessions_of(demo.engine, email)[-1].last_seen_at
    assert refreshed > utcnow() - dt.timedelta(minutes=1), "activity keeps the session alive"
    _age_session(demo, stored.id, last_seen_at=utcnow() - idle - dt.timedelta(seconds=1))
    assert _goes_to_sign_in(browser.get("/projects"))


def test_a_session_ends_at_its_absolute_lifetime(
    app: FastAPI, demo: Demo, settings: Settings
) -> None:
    email = add_user(demo.engine)
    browser = signed_in(app, email, OWN_PASSWORD)
    stored = sessions_of(demo.engine, email)[-1]
    assert stored.expires_at - stored.created_at == dt.timedelta(hours=settings.session_max_hours)
    _age_session(demo, stored.id, expires_at=utcnow() - dt.timedelta(seconds=1))
    assert _goes_to_sign_in(browser.get("/projects")), "even though it was just used"


def test_the_timeouts_are_configurable(demo: Demo, settings: Settings) -> None:
    short = create_app(
        settings.model_copy(update={"session_idle_minutes": 5, "session_max_hours": 1}),
        demo.engine,
    )
    email = add_user(demo.engine)
    browser = signed_in(short, email, OWN_PASSWORD)
    stored = sessions_of(demo.engine, email)[-1]
    assert stored.expires_at - stored.created_at == dt.timedelta(hours=1)
    _age_session(demo, stored.id, last_seen_at=utcnow() - dt.timedelta(minutes=6))
    assert _goes_to_sign_in(browser.get("/projects"))


# Cookie flags


def test_cookies_over_http_are_httponly_and_samesite_lax(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    browser = Browser(app)
    login_page = browser.get("/login")
    response = browser.sign_in(email, OWN_PASSWORD)
    for cookie in (
        set_cookie(login_page, "grants_login_csrf"),
        set_cookie(response, "grants_session"),
    ):
        assert "httponly" in cookie
        assert cookie["samesite"].lower() == "lax"
        assert "secure" not in cookie
    assert set_cookie(response, "grants_session")["path"] == "/"


def _check_secure_session_cookie(response: Response) -> None:
    cookie = set_cookie(response, "__Host-grants_session")
    assert "httponly" in cookie
    assert "secure" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/", "__Host- cookies need Path=/"
    assert "domain" not in cookie, "__Host- cookies must not name a domain"
    assert not [
        h for h in response.headers.get_list("set-cookie") if h.startswith("grants_session=")
    ]


def test_cookies_over_https_are_secure_with_the_host_prefix(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    browser = Browser(app, base_url=SECURE_BASE_URL)
    login_page = browser.get("/login")
    assert "secure" in set_cookie(login_page, "grants_login_csrf")
    response = browser.sign_in(email, OWN_PASSWORD)
    _check_secure_session_cookie(response)
    page = browser.get("/projects")
    assert page.status_code == 200, "the __Host- cookie signs the browser in"
    assert page.headers["strict-transport-security"].startswith("max-age=")


def test_cookie_secure_setting_forces_secure_cookies(demo: Demo, settings: Settings) -> None:
    forced = create_app(settings.model_copy(update={"cookie_secure": True}), demo.engine)
    email = add_user(demo.engine)
    browser = Browser(forced)
    login_page = browser.get("/login")
    assert "secure" in set_cookie(login_page, "grants_login_csrf")
    token = csrf_of(login_page.text)
    # An http client does not send a Secure cookie back; a browser behind TLS would.
    response = browser.post(
        "/login",
        {"email": email, "password": OWN_PASSWORD, "csrf_token": token},
        headers={"Cookie": f"grants_login_csrf={token}"},
    )
    assert response.status_code == 303, response.text
    _check_secure_session_cookie(response)


# Changing the password


def _field_error(page: str, field: str) -> str:
    """The message shown next to ``field``, when its input points to it; else ""."""
    described = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', page)
    if described is None or f'aria-describedby="{field}-error"' not in described.group(0):
        return ""
    match = re.search(rf'<small class="field-error" id="{field}-error">([^<]*)</small>', page)
    return match.group(1) if match else ""


def _password_hash(demo: Demo, email: str) -> str:
    with db.read_session(demo.engine) as session:
        return session.exec(select(User.password_hash).where(User.email == email)).one()


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("not my password at all", NEW_PASSWORD, None, "current_password", "not your current"),
        ("", NEW_PASSWORD, None, "current_password", "not your current"),
        (OWN_PASSWORD, "short pass", None, "new_password", "at least 12 characters"),
        (OWN_PASSWORD, "password1234", None, "new_password", "too common"),
        (OWN_PASSWORD, "aaaaaaaaaaaaaaaa", None, "new_password", "too common"),
        (OWN_PASSWORD, NEW_PASSWORD, "something else entirely", "confirm_password", "differ"),
    ],
)
def test_a_refused_password_change_says_why_next_to_the_field(
    app: FastAPI,
    demo: Demo,
    current: str,
    new: str,
    confirm: str | None,
    field: str,
    message: str,
) -> None:
    email = add_user(demo.engine)
    browser = signed_in(app, email, OWN_PASSWORD)
    before = _password_hash(demo, email)
    token = browser.token("/account/password")
    form = {
        "csrf_token": token,
        "current_password": current,
        "new_password": new,
        "confirm_password": new if confirm is None else confirm,
    }
    response = browser.post("/account/password", form)
    assert response.status_code == 422
    assert message in _field_error(response.text, field)
    assert current not in response.text or not current
    assert new not in response.text, "passwords are never echoed back"
    assert _password_hash(demo, email) == before
    assert csrf_of(response.text) == token, "the form keeps working"
    form.update(current_password=OWN_PASSWORD, new_password=NEW_PASSWORD)
    form["confirm_password"] = NEW_PASSWORD
    assert browser.post("/account/password", form).status_code == 303


def test_changing_the_password_ends_the_other_sessions_only(app: FastAPI, demo: Demo) -> None:
    email = add_user(demo.engine)
    other = signed_in(app, email, OWN_PASSWORD)
    browser = signed_in(app, email, OWN_PASSWORD)
    response = browser.post(
        "/account/password",
        {
            "csrf_token": browser.token("/account/password"),
            "current_password": OWN_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/password?changed=true"
    assert browser.get("/projects").status_code == 200, "the current session goes on"
    assert _goes_to_sign_in(other.get("/projects")), "the other session ended"
    assert _password_hash(demo, email).startswith("$argon2id$")
    assert Browser(app).sign_in(email, OWN_PASSWORD, check=False).status_code == 400
    assert Browser(app).sign_in(email, NEW_PASSWORD, check=False).status_code == 303
