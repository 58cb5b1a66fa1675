"""Small helpers for the API tests: clients per role and look-ups by reference."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from grants.models import Organisation, Project
from tests.security.conftest import Demo
from tests.security.helpers import api


def client(app: FastAPI, demo: Demo, email: str) -> TestClient:
    """An API client holding ``email``'s token."""
    return api(app, demo.tokens[email])


def project_id(engine: Engine, reference: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Project.id).where(Project.reference == reference)).one()


def organisation_id(engine: Engine, ref: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Organisation.id).where(Organisation.ref == ref)).one()


def count(engine: Engine, model: Any, *conditions: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status``; return its document."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document: dict[str, Any] = response.json()
    assert document["status"] == status and document["title"] and document["detail"]
    return document


def fields(document: dict[str, Any]) -> set[str]:
    """The fields a problem names in its ``errors``."""
    return {error["field"] for error in document.get("errors") or []}
