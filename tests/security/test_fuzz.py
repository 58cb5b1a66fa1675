"""Fuzz every web form and every API write with hostile input, as each role, on both engines.

The routes are read from the app: every POST outside ``/api`` is a web form, every POST, PUT,
PATCH and DELETE under ``/api/v1`` an API write, so a new one is fuzzed (or fails
``test_every_write_is_fuzzed``) without a change here. A web form's fields are read from the
page that shows it (or, for a route posted from no page of its own, from the form parameters
the route declares) and sent with the session's valid CSRF token; an API body is built from
the request model in the OpenAPI schema. One or two fields of each request are hostile
(``tests/security/fuzz/values.py``), the others what a careful person would type.

Each request must be answered below 500; if it is refused (4xx) every record, the audit trail
and the kept files must be as they were. The demo copy changes with every accepted request,
so examples are not shrunk (a smaller example would meet other records); the failure names
the request instead. ``GRANTS_TEST_SEED=<n>`` repeats a run; ``FUZZ_LOG=<file>`` writes each
request and its answer to ``file``, one JSON line each.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.params import File
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlmodel import select

from grants import db
from grants.app import create_app
from grants.config import Settings, get_settings
from grants.models import Membership, Organisation, Role, User
from tests.conftest import Browsers, Demo
from tests.helpers import ADMIN, DONOR, EDITOR_ZARQA, MANAGER, OWN_PASSWORD, Browser, add_user
from tests.security.fuzz import bodies, forms, routes
from tests.security.fuzz.checks import CSRF_REFUSAL, Sent, leaks
from tests.security.fuzz.state import State, state_of
from tests.security.test_access_rules import endpoints

SEED = int(os.environ.get("GRANTS_TEST_SEED") or random.randrange(1_000_000))
ROLES = {
    "grant_manager": MANAGER,
    "partner_editor": EDITOR_ZARQA,  # ZRQ-WOMEN, which JO-ZARQA leads, is active
    "donor": DONOR,
    "admin": ADMIN,
}
# Requests per route and role: enough to keep each engine's run near two and a half minutes.
# Issuing a report renders a PDF, which takes seconds.
EXAMPLES = 8
REPORT_EXAMPLES = 1
# Routes that end or change the session: each request gets an account and a browser of its own.
ACCOUNT_ROUTES = {"/login", "/logout", "/account/password"}
# Routes whose form is shown on another page than their own path: the page, from the path.
FORM_PAGES: dict[str, Callable[[str], str]] = {
    "/logout": lambda _path: "/account/password",
    "/exchange/import": lambda _path: "/exchange",
    "/{collection}/{ident}/reports": lambda path: path.removesuffix("/reports"),
}
# Steps that end a record's life run after the others, so most forms meet open records.
LAST = ("cancel", "close", "finalise", "suspend", "deactivate")
_clients = itertools.count(1)


def _order(found: list[routes.Route]) -> list[routes.Route]:
    return sorted(found, key=lambda r: r.method == "DELETE" or r.path.endswith(LAST))


_ROUTES = routes.write_routes(create_app(Settings(environment="test"), create_engine("sqlite://")))
WEB = _order([r for r in _ROUTES if not r.is_api])
API = _order([r for r in _ROUTES if r.is_api])


def _runs(route: routes.Route) -> Callable[[Callable[[st.DataObject], None]], Callable[[], None]]:
    """Run the decorated request ``route``'s number of times, each with fresh data."""
    examples = REPORT_EXAMPLES if re.search(r"/(reports|issued-reports)$", route.path) else EXAMPLES

    def runs(send: Callable[[st.DataObject], None]) -> Callable[[], None]:
        run = settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(data=st.data())(send))
        return seed(SEED)(run)

    return runs


@dataclass
class Fuzz:
    """The module's demo copy with what the fuzz needs of it, read once."""

    app: FastAPI
    demo: Demo
    browsers: Browsers
    targets: routes.Targets
    spec: bodies.Spec
    folders: tuple[Path, ...]
    discovered: dict[str, forms.HtmlForm | None] = field(default_factory=dict)
    tokens: weakref.WeakKeyDictionary[Browser, str] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    last: State | None = None
    signed_in: int = 0

    def state(self) -> State:
        """The state now: the one a refused request left, if nothing has written since (a
        browser signing in for the first time writes its account's sign-in time)."""
        if self.last is None or len(self.browsers.open) != self.signed_in:
            self.last = state_of(self.demo.engine, self.folders)
            self.signed_in = len(self.browsers.open)
        return self.last

    def wrote(self) -> None:
        """Forget the state: something (an accepted request, a set-up step) wrote."""
        self.last = None

    def csrf(self, browser: Browser) -> str:
        """Return the CSRF token of ``browser``'s session (or of its sign-in form)."""
        if browser not in self.tokens:
            page = browser.get("/account/password")
            if page.status_code != 200:
                page = browser.get("/login")
            found = forms.forms_on(page.text, "/")
            self.tokens[browser] = next(
                (i.value[0] for f in found for i in f.inputs if i.name == "csrf_token"), ""
            )
        return self.tokens[browser]


def _org_ref(demo: Demo, email: str) -> str | None:
    with db.read_session(demo.engine) as session:
        return session.exec(
            select(Organisation.ref)
            .join(Membership, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(User.email == email)
        ).first()


def _role_of(demo: Demo, email: str) -> Role:
    with db.read_session(demo.engine) as session:
        found = session.exec(
            select(Membership.role)
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(User.email == email)
        ).first()
    return Role(found) if found else Role.ADMIN


@pytest.fixture(scope="module")
def fuzz(app: FastAPI, demo: Demo, browsers: Browsers) -> Fuzz:
    print(f"fuzz seed: GRANTS_TEST_SEED={SEED}")
    spare = [add_user(demo.engine), add_user(demo.engine, Role.PARTNER_VIEWER)]
    with db.read_session(demo.engine) as session:
        users = [session.exec(select(User.id).where(User.email == e)).one() for e in spare]
    targets = routes.load_targets(demo.engine, demo.extras.outside_project, users)
    document = browsers[MANAGER].get("/api/v1/openapi.json").json()
    folders = (app.state.settings.data_dir, get_settings().data_dir)
    return Fuzz(app, demo, browsers, targets, bodies.Spec(document), folders)


def test_every_write_is_fuzzed(app: FastAPI, fuzz: Fuzz) -> None:
    """Each writing route of the app is one of the fuzzed, and the fuzz can fill its path."""
    served = {str(r) for r in routes.write_routes(app)}
    assert served == {str(r) for r in WEB + API}
    assert not [str(r) for r in WEB if r.method != "POST"]
    assert [f"{r}: {routes.uncovered(r)}" for r in WEB + API if routes.uncovered(r)] == []
    unknown = [str(r) for r in WEB if _discover(fuzz, r) is None]
    assert unknown == [], "no form found on any page, nor declared by the route"


# Web forms.


def _declared_form(fuzz: Fuzz, route: routes.Route) -> forms.HtmlForm | None:
    """The form parameters ``route`` declares, as a form with no values shown."""
    for endpoint in endpoints(fuzz.app):
        if endpoint.path == route.path and route.method in endpoint.methods:
            params = endpoint.dependant.body_params if endpoint.dependant else []
            if not params:
                return None
            inputs = tuple(
                forms.Input(p.alias, "file" if isinstance(p.field_info, File) else "text")
                for p in params
            )
            multipart = any(i.kind == "file" for i in inputs)
            return forms.HtmlForm(
                route.path, (forms.Input("csrf_token", "hidden"), *inputs), multipart
            )
    return None


def _candidate_paths(fuzz: Fuzz, route: routes.Route) -> Iterator[str]:
    choices: list[list[str]] = []
    for name in route.params:
        choice = routes.param_choices(route, name)
        if isinstance(choice, tuple):
            choices.append(list(choice))
        elif isinstance(choice, type):
            choices.append([str(i) for i in fuzz.targets.ids(choice)])
        elif choice == routes.NAMED_BEFORE:
            choices.append([str(i) for i in fuzz.targets.ids(routes.Project)])
        else:
            choices.append(["0" * 64])
    for values in itertools.islice(itertools.product(*choices), 40):
        path = route.path
        for name, value in zip(route.params, values, strict=True):
            path = path.replace(f"{{{name}}}", value, 1)
        yield path


def _page_of(route_path: str, path: str) -> str:
    page = FORM_PAGES.get(route_path)
    return page(path) if page else path


def _discover(fuzz: Fuzz, route: routes.Route) -> forms.HtmlForm | None:
    """The form of ``route`` as some role's page shows it, else as the route declares it."""
    key = str(route)
    if key not in fuzz.discovered:
        found = None
        viewers = [fuzz.browsers[email] for email in ROLES.values()] + [Browser(fuzz.app)]
        for browser, path in itertools.product(viewers, list(_candidate_paths(fuzz, route))):
            page = browser.get(_page_of(route.path, path))
            if page.status_code == 200:
                found = forms.form_posting_to(page.text, path, path)
                if found:
                    break
        fuzz.discovered[key] = found or _declared_form(fuzz, route)
    return fuzz.discovered[key]


def _account(fuzz: Fuzz, email: str) -> str:
    """An account of the role ``email`` plays, for requests that change the session."""
    role = _role_of(fuzz.demo, email)
    fuzz.wrote()
    return add_user(
        fuzz.demo.engine, role, _org_ref(fuzz.demo, email) if role != Role.ADMIN else None
    )


def _browser(fuzz: Fuzz, route: routes.Route, email: str) -> tuple[Browser, dict[str, str]]:
    """The browser that sends the request, and values it knows (its account's sign-in)."""
    if route.path not in ACCOUNT_ROUTES:
        return fuzz.browsers[email], {}
    own = _account(fuzz, email)
    browser = Browser(fuzz.app, client_host=f"fuzz-{next(_clients)}")
    if route.path != "/login":
        browser.sign_in(own, OWN_PASSWORD)
    return browser, {"email": own, "current_password": OWN_PASSWORD, "password": OWN_PASSWORD}


def _upload(fuzz: Fuzz) -> Any:
    def upload(draw: st.DrawFn) -> str:
        """Keep an import file, as the grant manager uploads it; return its digest."""
        manager = fuzz.browsers[MANAGER]
        name, content, kind = draw(forms.import_file())
        fuzz.wrote()
        sent = manager.http.post(
            "/exchange/import",
            data={"csrf_token": fuzz.csrf(manager)},
            files={"upload": (name, content, kind)},
            headers={"Origin": manager.origin},
        )
        location = sent.headers.get("location", "")
        return location.rsplit("/", 1)[-1] if sent.status_code == 303 else "0" * 64

    return upload


def _form(
    fuzz: Fuzz, route: routes.Route, browser: Browser, path: str, known: dict[str, str]
) -> tuple[forms.HtmlForm, str]:
    """The form as this browser's page shows it (else as found elsewhere), and the token."""
    page = browser.get(_page_of(route.path, path))
    shown = forms.form_posting_to(page.text, path, path) if page.status_code == 200 else None
    if shown is None:
        base = _discover(fuzz, route)
        assert base is not None, f"no form for {route}"
        # What another role's page showed, but this browser's own session token.
        blank = [
            i
            if i.kind == "hidden" and i.name != "csrf_token"
            else forms.Input(i.name, i.kind, (), i.options, i.required)
            for i in base.inputs
        ]
        shown = forms.HtmlForm(path, tuple(blank), base.multipart)
    inputs = tuple(
        forms.Input(i.name, i.kind, (known[i.name],), i.options, i.required)
        if i.name in known
        else i
        for i in shown.inputs
    )
    shown = forms.HtmlForm(shown.action, inputs, shown.multipart)
    token = next((i.value[0] for i in shown.inputs if i.name == "csrf_token" and i.value), "")
    return shown, token or fuzz.csrf(browser)


def _problem(sent: Sent, problem: str) -> None:
    """Fail with the request that showed ``problem``."""
    raise AssertionError(f"{problem}\n{sent.repro(SEED)}")


def _check(fuzz: Fuzz, sent: Sent, before: State) -> bool:
    """Check the answer to ``sent``; return whether it was accepted."""
    fuzz.wrote()
    if os.environ.get("FUZZ_LOG"):
        with open(os.environ["FUZZ_LOG"], "a") as log:
            log.write(
                json.dumps(
                    [
                        sent.role,
                        sent.method,
                        sent.path,
                        sent.status,
                        sent.answer[:300]
                        if sent.path.startswith("/api")
                        else re.findall(
                            r'class="(?:field-error|error-summary)[^>]*>(.*?)<', sent.answer, re.S
                        )[:3],
                        sorted(sent.hostile),
                    ]
                )
                + "\n"
            )
    if sent.status >= 500:
        _problem(sent, f"answered {sent.status}")
        return False
    leaked = leaks(sent.answer)
    if leaked:
        _problem(sent, f"shows the database's own words ({leaked!r})")
    if 400 <= sent.status < 500:
        changed = fuzz.state().changes_since(before)
        if changed:
            _problem(sent, f"refused with {sent.status}, but changed {changed}")
        return False
    return True


def _blank(value: Any, kind: str = "text") -> bool:
    """Whether ``value`` is text with nothing to read in it."""
    return kind in {"text", "textarea", "string"} and isinstance(value, str) and not value.strip()


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", WEB, ids=str)
def test_web_form(fuzz: Fuzz, route: routes.Route, role: str) -> None:
    email = ROLES[role]

    @_runs(route)
    def send(data: st.DataObject) -> None:
        path, _project = data.draw(routes.concrete_path(route, fuzz.targets, _upload(fuzz)))
        browser, known = _browser(fuzz, route, email)
        form, token = _form(fuzz, route, browser, path, known)
        fields, hostile = data.draw(forms.filled(form, token))
        body, kind = forms.encoded(form, fields)
        before = fuzz.state()
        answer = browser.http.post(
            path, content=body, headers={"Content-Type": kind, "Origin": browser.origin}
        )
        sent = Sent(fuzz.demo.kind, role, "POST", path, fields, answer.status_code, answer.text)
        sent.hostile = hostile
        assert not (answer.status_code == 403 and CSRF_REFUSAL in answer.text), sent.repro(SEED)
        if _check(fuzz, sent, before) and answer.status_code == 303:
            for item in form.inputs:
                value = fields.get(item.name)
                if item.name in hostile and item.required and _blank(value, item.kind):
                    _problem(sent, f"accepted blank {item.name}={value!r}")
            target = answer.headers["location"]
            if target.startswith("/") and not target.startswith("/login"):
                shown = browser.get(target)
                after = Sent(
                    fuzz.demo.kind, role, "GET", target, fields, shown.status_code, shown.text
                )
                if shown.status_code >= 500:
                    _problem(after, f"the page after {path} answered {shown.status_code}")

    send()


# API writes.


def _etag(client: Any, path: str) -> str:
    """The ETag of the object ``path`` writes to, read as the client would."""
    for target in (path, path.rsplit("/", 1)[0]):
        got = client.get(target)
        if got.status_code == 200 and "etag" in got.headers:
            return str(got.headers["etag"])
    return '"none"'


def _if_match(etag: str) -> st.SearchStrategy[str]:
    return st.sampled_from([etag, "*", "", '"stale"', f"W/{etag}", f'{etag}, "x"', '"' + "9" * 999])


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", API, ids=str)
def test_api_write(fuzz: Fuzz, route: routes.Route, role: str) -> None:
    from tests.api.helpers import client

    caller = client(fuzz.app, fuzz.demo, ROLES[role])
    schema = fuzz.spec.body_schema(route.method, route.path)
    takes_if_match = "If-Match" in fuzz.spec.headers(route.method, route.path)
    builder = bodies.Bodies(fuzz.spec, fuzz.targets)

    @_runs(route)
    def send(data: st.DataObject) -> None:
        path, project = data.draw(routes.concrete_path(route, fuzz.targets, _upload(fuzz)))
        headers: dict[str, str] = {}
        if takes_if_match:
            headers["If-Match"] = data.draw(_if_match(_etag(caller, path)))
        sent = Sent(fuzz.demo.kind, role, route.method, path, None)
        kwargs: dict[str, Any] = {}
        if schema is None:
            pass
        elif schema[0].startswith("multipart/"):
            upload = data.draw(forms.evidence_file())
            sent.fields = {"file": upload}
            content, kind = forms.encoded(
                forms.HtmlForm(path, (forms.Input("file", "file"),), True), {"file": upload}
            )
            kwargs = {"content": content}
            headers["Content-Type"] = kind
        else:
            sent.fields, sent.hostile = data.draw(bodies.body(builder, schema[1], project))
            if sent.fields is not None:
                kwargs = {"content": json.dumps(sent.fields, allow_nan=True)}
                headers["Content-Type"] = "application/json"
        before = fuzz.state()
        answer = caller.request(
            route.method, path, headers={k: v for k, v in headers.items() if v}, **kwargs
        )
        sent.status, sent.answer = answer.status_code, answer.text
        if _check(fuzz, sent, before):
            if (
                isinstance(sent.fields, dict)
                and schema is not None
                and not schema[0].startswith("multipart/")
            ):
                properties = fuzz.spec.resolve(schema[1])
                properties = bodies._without_null(fuzz.spec, properties).get("properties", {})
                for name in sent.hostile & set(sent.fields):
                    value, declared = (
                        sent.fields[name],
                        bodies._without_null(fuzz.spec, properties[name]),
                    )
                    if fuzz.spec.refuses(properties[name], value):
                        _problem(sent, f"accepted {name}={value!r}, which the schema refuses")
                    elif declared.get("minLength", 0) >= 1 and _blank(value):
                        _problem(sent, f"accepted blank {name}={value!r}")
            again = caller.get(path) if route.method != "DELETE" else None
            if again is not None and again.status_code == 405:
                again = caller.get(path.rsplit("/", 1)[0])
            if again is not None and again.status_code >= 500:
                _problem(sent, f"reading it back answered {again.status_code}")

    send()
