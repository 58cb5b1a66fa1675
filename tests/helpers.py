"""Test helpers: the demo accounts, a browser that signs in and posts forms, and DB probes."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from grants import db
from grants.demo import DEMO_PASSWORD
from grants.models import (
    Attachment,
    AuditEvent,
    Call,
    Milestone,
    MilestoneCreate,
    Organisation,
    PartnerRole,
    Programme,
    Project,
    ProjectPartner,
    Role,
    User,
    UserCreate,
    UserSession,
    utcnow,
)
from grants.services import attachments, milestones, tokens, users
from grants.services.access import SYSTEM, principal_for

TODAY = dt.date(2026, 6, 15)
BASE_URL = "http://testserver"
SECURE_BASE_URL = "https://testserver"
COOKIE_DOMAIN = "testserver.local"  # where the test client's cookie jar keeps this site's cookies
PASSWORD = DEMO_PASSWORD
OWN_PASSWORD = "a long and private passphrase"
CSV = b"name,organisation,date\nParticipant,JO-ZARQA,2026-06-10\n"
EVIDENCE = {"evidence": ("attendance.csv", CSV, "text/csv")}

# The demo accounts each role is played by (see README.md, "The demo").
ADMIN = "admin@example.org"
MANAGER = "manager@example.org"
DONOR = "donor@example.org"
EDITOR = "editor.tn-sfax@example.org"  # partner editor of TN-SFAX, lead of ACMALS
EDITOR_ZARQA = "editor.jo-zarqa@example.org"  # partner editor of JO-ZARQA, lead of ZRQ-WOMEN
EDITOR_NOOR = "editor.jo-cso-noor@example.org"  # co-implementing partner of ZRQ-WOMEN
VIEWER = "viewer.tn-sfax@example.org"  # partner viewer of TN-SFAX
# Added to the demo by the fixtures: a partner viewer of JO-ZARQA (ZRQ-WOMEN has milestones
# that can still be submitted, ACMALS has none).
VIEWER_ZARQA = "viewer.jo-zarqa@example.org"

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
_VERSION = re.compile(r'name="version" value="([^"]*)"')
_numbers = itertools.count(1)


def csrf_of(page: str) -> str:
    """Return the CSRF token of the first form in ``page``."""
    match = _CSRF.search(page)
    assert match, "the page has no csrf_token field"
    return match.group(1)


def hidden_fields(page: str) -> dict[str, str]:
    """Return the CSRF token of the first form in ``page`` and the version it carries."""
    fields = {"csrf_token": csrf_of(page)}
    version = _VERSION.search(page)
    if version:
        fields["version"] = version.group(1)
    return fields


class Browser:
    """A test client that shows redirects instead of following them, with form helpers."""

    def __init__(
        self, app: FastAPI, base_url: str = BASE_URL, client_host: str = "testclient"
    ) -> None:
        self.origin = base_url
        self.http = TestClient(
            app,
            base_url=base_url,
            follow_redirects=False,
            raise_server_exceptions=False,
            client=(client_host, 50000),
        )

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.http.get(path, **kwargs)

    def token(self, path: str = "/login") -> str:
        """Return the CSRF token from the form on ``path``."""
        page = self.http.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return csrf_of(page.text)

    def hidden(self, path: str) -> dict[str, str]:
        """Return the hidden fields the form on ``path`` posts: its CSRF token and, on a
        form that changes a record, the version the record was read at."""
        page = self.http.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return hidden_fields(page.text)

    def post(
        self,
        path: str,
        data: dict[str, str],
        *,
        files: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        origin: bool = True,
    ) -> Response:
        """Post a form as a browser on this site would, with its Origin header."""
        sent = {"Origin": self.origin} if origin else {}
        sent.update(headers or {})
        return self.http.post(path, data=data, files=files, headers=sent)

    def sign_in(
        self, email: str, password: str = PASSWORD, next: str = "/", check: bool = True
    ) -> Response:
        """Sign in through the login form."""
        token = self.token("/login")
        response = self.post(
            "/login", {"email": email, "password": password, "next": next, "csrf_token": token}
        )
        if check:
            assert response.status_code == 303, response.text
        return response

    def cookie(self, name: str = "grants_session") -> str | None:
        return self.http.cookies.get(name)

    def plant(self, value: str, name: str = "grants_session") -> None:
        """Give the browser a cookie, as this site would have set it."""
        self.http.cookies.set(name, value, domain=COOKIE_DOMAIN, path="/")


def signed_in(app: FastAPI, email: str, password: str = PASSWORD, **kwargs: Any) -> Browser:
    browser = Browser(app, **kwargs)
    browser.sign_in(email, password)
    return browser


def api(app: FastAPI, token: str | None = None) -> TestClient:
    """An API client, with ``token`` as its bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(app, headers=headers, raise_server_exceptions=False, follow_redirects=False)


# Database probes and set-up, all through the services.


def unique_email(label: str = "sec") -> str:
    return f"{label}{next(_numbers)}@example.org"


def org_id(engine: Engine, ref: str) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(Organisation.id).where(Organisation.ref == ref)).one()


def project_id(engine: Engine, reference: str) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(Project.id).where(Project.reference == reference)).one()


def user_id(engine: Engine, email: str) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(User.id).where(User.email == email)).one()


def add_user(
    engine: Engine,
    role: Role = Role.PARTNER_EDITOR,
    org_ref: str | None = "JO-ZARQA",
    email: str | None = None,
    password: str = OWN_PASSWORD,
) -> str:
    """Add an account of the caller's own and return its email."""
    email = email or unique_email()
    with db.write_session(engine) as session:
        organisation = (
            session.exec(select(Organisation).where(Organisation.ref == org_ref)).one()
            if org_ref
            else None
        )
        users.create_user(
            session,
            SYSTEM,
            UserCreate(email=email, full_name="Security test user", password=password),
            role,
            organisation,
        )
    return email


def make_token(engine: Engine, email: str) -> str:
    """Create an API token for ``email`` and return it (shown this once)."""
    with db.write_session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        raw, _token = tokens.create_token(session, SYSTEM, user, "security tests", utcnow())
    return raw


def new_milestone(engine: Engine, project: int | str = "ZRQ-WOMEN", responsible: str = "") -> int:
    """Add a planned milestone needing evidence to an active project; return its id.

    ``project`` is an id or a reference; the milestone is the ``responsible`` organisation's
    (by reference), else the project's lead grantee's.
    """
    with db.write_session(engine) as session:
        found = (
            session.get(Project, project)
            if isinstance(project, int)
            else session.exec(select(Project).where(Project.reference == project)).one()
        )
        assert found is not None
        responsible_id = (
            session.exec(select(Organisation.id).where(Organisation.ref == responsible)).one()
            if responsible
            else session.exec(
                select(ProjectPartner.organisation_id).where(
                    ProjectPartner.project_id == found.id,
                    ProjectPartner.role == PartnerRole.LEAD,
                )
            ).one()
        )
        milestone = milestones.add_milestone(
            session,
            SYSTEM,
            found,
            MilestoneCreate(
                title=f"Security check {next(_numbers)}",
                due_date=max(found.planned_start, min(found.planned_end, TODAY)),
                evidence_required="Signed attendance list",
                responsible_organisation_id=responsible_id,
            ),
        )
        return milestone.id


def attach_evidence(engine: Engine, milestone_id: int, email: str | None = None) -> int:
    """Attach a small CSV to the milestone as ``email`` (default: the system); return its id."""
    with db.write_session(engine) as session:
        milestone = session.get(Milestone, milestone_id)
        assert milestone is not None
        principal = SYSTEM
        if email is not None:
            user = session.exec(select(User).where(User.email == email)).one()
            principal = principal_for(session, user)
        return attachments.attach(session, principal, milestone, "attendance.csv", CSV).id


@dataclass(frozen=True)
class MilestoneState:
    """What a refused submission must leave as it was."""

    status: str
    version: int
    attachments: int
    audit_events: int


def milestone_state(engine: Engine, milestone_id: int) -> MilestoneState:
    with db.read_session(engine) as session:
        milestone = session.get(Milestone, milestone_id)
        assert milestone is not None
        return MilestoneState(
            status=milestone.status.value,
            version=milestone.version,
            attachments=count(session, Attachment, Attachment.milestone_id == milestone_id),
            audit_events=count(session, AuditEvent),
        )


def audit_count(engine: Engine) -> int:
    with db.read_session(engine) as session:
        return count(session, AuditEvent)


def count(session: Session, model: type, *conditions: Any) -> int:
    statement = select(func.count()).select_from(model)
    for condition in conditions:
        statement = statement.where(condition)
    return int(session.exec(statement).one())


def sessions_of(engine: Engine, email: str) -> list[UserSession]:
    with db.read_session(engine) as session:
        return list(
            session.exec(
                select(UserSession)
                .join(User, User.id == UserSession.user_id)  # type: ignore[arg-type]
                .where(User.email == email)
                .order_by(UserSession.id)  # type: ignore[arg-type]
            ).all()
        )


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port until the block ends; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    host, port = sock.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def managing_organisation(session: Session, project_id: int) -> Organisation:
    """The organisation that manages the programme of the project ``project_id``."""
    return session.exec(
        select(Organisation)
        .join(Programme, col(Programme.managing_organisation_id) == col(Organisation.id))
        .join(Call, col(Call.programme_id) == col(Programme.id))
        .join(Project, col(Project.call_id) == col(Call.id))
        .where(col(Project.id) == project_id)
    ).one()


_T = TypeVar("_T")


def run_async(function: Callable[..., Awaitable[_T]], *args: Any) -> _T:
    """Run ``function(*args)`` in an event loop of its own, on a thread of its own.

    The browser tests keep Playwright's loop running on the main thread for the whole
    session, so a test cannot start another loop there.
    """
    answers: list[_T] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            answers.append(anyio.run(function, *args))
        except BaseException as failure:  # re-raised on the calling thread
            failures.append(failure)

    worker = threading.Thread(target=run, name="run-async")
    worker.start()
    worker.join()
    if failures:
        raise failures[0]
    return answers[0]
