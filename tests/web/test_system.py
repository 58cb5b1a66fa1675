"""The app factory: landing page, static files, health check, production guard."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from grants.app import create_app
from grants.config import Settings


def test_landing_page_renders_through_the_base_template(engine: Engine, settings: Settings) -> None:
    client = TestClient(create_app(settings, engine))
    page = client.get("/")
    assert page.status_code == 200
    assert '<main id="main"' in page.text
    assert "Grants tracker" in page.text
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert "--accent" in css.text


def test_health_check_answers_when_the_database_does(engine: Engine, settings: Settings) -> None:
    response = TestClient(create_app(settings, engine)).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_health_check_reports_an_unreachable_database(settings: Settings) -> None:
    unreachable = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    response = TestClient(create_app(settings, unreachable)).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}
    assert "127.0.0.1" not in response.text


@pytest.mark.parametrize("secret", ["insecure-development-key-change-me", "short"])
def test_production_refuses_a_default_or_weak_secret(secret: str) -> None:
    with pytest.raises(RuntimeError, match="GRANTS_SECRET_KEY"):
        create_app(
            Settings(
                environment="production", secret_key=secret, database_url="sqlite:///unused.db"
            )
        )


def test_production_starts_with_a_strong_secret(engine: Engine) -> None:
    app = create_app(Settings(environment="production", secret_key="x" * 40), engine)
    assert TestClient(app).get("/healthz").status_code == 200
