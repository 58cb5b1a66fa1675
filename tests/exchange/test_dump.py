"""The JSON dump restores into an empty database with the same ids and dumps back identically."""

from __future__ import annotations

import json

import pytest

from grants import db
from grants.exchange import dump
from grants.models import OrganisationCreate, OrganisationKind
from grants.services import programmes
from grants.services.access import SYSTEM
from tests.conftest import Demo


def test_dump_restore_dump_gives_the_same_json_and_fresh_ids(
    demo: Demo, empty_database_url: str, settings
) -> None:  # type: ignore[no-untyped-def]
    with db.read_session(demo.engine) as session:
        first = dump.dump_bytes(session.connection())
    document = json.loads(first)
    assert document["tables"]["audit_event"]["rows"]
    assert "user_session" not in document["tables"]
    users = document["tables"]["user_account"]
    assert users["rows"][0][users["columns"].index("password_hash")].startswith("$argon2id$")
    db.upgrade(empty_database_url)
    engine = db.make_engine(empty_database_url, settings)
    try:
        with db.write_session(engine) as session:
            counts = dump.restore(session.connection(), dump.read_document(first))
        assert counts["milestone"] == len(document["tables"]["milestone"]["rows"])
        with db.read_session(engine) as session:
            assert dump.dump_bytes(session.connection()) == first
        with db.write_session(engine) as session:
            added = programmes.create_organisation(
                session,
                SYSTEM,
                OrganisationCreate(ref="AFTER-RESTORE", name="New", kind=OrganisationKind.CSO),
            )
            ids = [row[0] for row in document["tables"]["organisation"]["rows"]]
            assert added.id > max(ids)
        with (
            db.write_session(engine) as session,
            pytest.raises(dump.DumpRefused, match="not empty"),
        ):
            dump.restore(session.connection(), dump.read_document(first))
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not JSON"),
        (b'{"format": "something else"}', "not a grants tracker dump"),
        (b'{"format": "grants-tracker-dump", "version": 99, "tables": {}}', "format version 99"),
    ],
)
def test_a_file_that_is_not_a_dump_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(dump.DumpRefused, match=message):
        dump.read_document(content)
