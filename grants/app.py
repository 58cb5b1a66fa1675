"""The application factory, and the application as ``grants serve`` runs it."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from grants import __version__, db, logs, offload
from grants.api import admin, delivery, docs, finance, me, programmes, results
from grants.api import figures as api_figures
from grants.api import projects as api_projects
from grants.api import reports as api_reports
from grants.config import Settings, get_settings
from grants.http.admission import Admission
from grants.http.limits import BodyLimits, RouteLimits
from grants.http.methods import HeadAsGet
from grants.paths import STATIC_DIR
from grants.templating import environment
from grants.web import (
    auth,
    budget_forms,
    dashboard,
    delivery_forms,
    donor,
    errors,
    organisations,
    portal,
    project_forms,
    project_list,
    projects,
    setup,
    steps,
    system,
)
from grants.web import exchange as web_exchange
from grants.web import reports as web_reports
from grants.web.flash import FlashCleanup
from grants.web.headers import SecurityHeaders


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Return the configured application; refuse to start production with a weak secret."""
    settings = settings or get_settings()
    settings.check_production()
    app = FastAPI(
        title="Grants tracker",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or db.make_engine(settings.database_url, settings)
    logs.configure()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Innermost first: a request waits for its turn only once its size is known to be
    # acceptable; 413s and 503s both get the security headers, and no middleware outside
    # these reads a body.
    app.add_middleware(
        Admission,
        reads=settings.concurrent_requests,
        writes=settings.concurrent_writes,
        wait=settings.queue_timeout_seconds,
    )
    app.add_middleware(BodyLimits, limits=RouteLimits.of(settings), render=errors.render)
    app.add_middleware(FlashCleanup)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)
    errors.install(app)
    for router in WEB_ROUTERS:
        app.include_router(router, include_in_schema=False)
    for router, tag in API_ROUTERS:
        app.include_router(router, prefix="/api/v1", tags=[tag])
    docs.install(app)
    return app


def serving_app() -> FastAPI:
    """Return the application as each ``grants serve`` worker runs it: created, with every
    template compiled, its rendering helpers started (``grants.offload``), and the heap it
    started with frozen (``gc.freeze``).

    The modules, the table metadata, the compiled templates and Babel's locale data live as
    long as the process; frozen, they are left out of the collector's full passes, which
    otherwise walk them all in the middle of a request and lengthen its answer.
    """
    app = create_app()
    templates = environment()
    for name in templates.list_templates(extensions=["html"]):
        templates.get_template(name)
    offload.start()
    gc.collect()
    gc.freeze()
    return app


WEB_ROUTERS = [
    system.router,
    auth.router,
    dashboard.router,
    portal.router,
    donor.router,
    project_list.router,
    project_forms.router,  # /projects/new before /projects/{project_id}
    projects.router,
    delivery_forms.router,
    budget_forms.router,
    steps.router,
    setup.router,
    organisations.router,
    web_reports.router,
    web_exchange.router,
]

API_ROUTERS = [
    (me.router, "account"),
    (programmes.router, "programmes"),
    (api_projects.router, "projects"),
    (api_figures.router, "figures"),
    (delivery.router, "milestones and tranches"),
    (finance.router, "budgets and expenses"),
    (results.router, "indicators, progress and evidence"),
    (admin.router, "users and issued reports"),
    (api_reports.router, "reports"),
]
