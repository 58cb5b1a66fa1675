"""Users: the password policy, Argon2id hashes, and who may create which accounts."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from grants.models import Membership, OrganisationKind, Role, UserCreate
from grants.services import users
from grants.services.access import SYSTEM
from grants.services.errors import Invalid, NotAllowed
from tests import factories as f

EMAIL = "amira.benali@sfax.example.tn"


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pass1", "at least 12"),  # 11 characters
        ("password1234", "too common"),
        ("PassWord1234", "too common"),  # common whatever the case
        ("qwerty123456", "too common"),
        ("abababababab", "too common"),  # only two different characters
        ("zzzzzzzzzzzzzzzz", "too common"),
        (EMAIL, "email"),
        (EMAIL.upper(), "email"),
        ("x" * 128 + "y" * 129, "at most 256"),
    ],
)
def test_weak_passwords_are_refused(password: str, why: str) -> None:
    with pytest.raises(Invalid, match=why) as refused:
        users.check_password(password, EMAIL)

    assert refused.value.field == "password"
    assert password not in str(refused.value)


@pytest.mark.parametrize(
    "password",
    [
        "short-pass12",  # exactly 12 characters
        "correct horse battery staple",
        "no composition rules at all",
        ("the quick brown fox jumps over the lazy dog " * 3)[:129],  # 129 characters
        ("sphinx of black quartz, judge my vow; " * 7)[:256],  # 256 characters
    ],
)
def test_good_passwords_are_accepted(password: str) -> None:
    assert users.check_password(password, EMAIL) == password


@pytest.mark.parametrize(
    "password",
    [
        "Password2026!",
        "motdepasse1234",
        "qwertyuiop12",
        "abcabcabcabc",
        "ab" * 64 + "c",
        "0987654321098",
        "Welcome-2026!!",
        "zyxwvutsrqpo",
    ],
)
def test_common_shapes_are_refused(password: str) -> None:
    with pytest.raises(Invalid, match="too common"):
        users.check_password(password, EMAIL)


def test_a_password_is_stored_as_an_argon2id_hash(tx_session: Session) -> None:
    user, _ = f.user(tx_session, Role.ADMIN, email="admin@example.org")

    assert user.password_hash.startswith("$argon2id$")
    assert f.PASSWORD not in user.password_hash
    assert users.verify_password(f.PASSWORD, user.password_hash)[0] is True
    assert users.verify_password(f.PASSWORD + "!", user.password_hash)[0] is False


def test_two_users_with_one_password_get_different_hashes(tx_session: Session) -> None:
    first, _ = f.user(tx_session, Role.ADMIN)
    second, _ = f.user(tx_session, Role.ADMIN)

    assert first.password_hash != second.password_hash


def test_email_is_normalised_and_unique(tx_session: Session) -> None:
    organisation = f.organisation(tx_session)
    user, _ = f.user(tx_session, Role.PARTNER_EDITOR, organisation, email="Amira@Sfax.TN")

    assert user.email == "amira@sfax.tn"
    assert users.user_by_email(tx_session, "AMIRA@sfax.tn ").id == user.id
    with pytest.raises(Invalid) as refused:
        f.user(tx_session, Role.PARTNER_VIEWER, organisation, email="amira@SFAX.tn")
    assert refused.value.field == "email"


def test_the_password_may_not_be_the_email(tx_session: Session) -> None:
    data = UserCreate(email=EMAIL, full_name="Amira Ben Ali", password=EMAIL.upper())

    with pytest.raises(Invalid, match="email"):
        users.create_user(tx_session, SYSTEM, data, Role.ADMIN)


@pytest.mark.parametrize(
    "role", [Role.GRANT_MANAGER, Role.DONOR, Role.PARTNER_EDITOR, Role.PARTNER_VIEWER]
)
def test_only_an_administrator_creates_users(tx_session: Session, role: Role) -> None:
    organisation = f.organisation(tx_session, kind=OrganisationKind.IMPLEMENTING_AGENCY)
    _, principal = f.user(tx_session, role, organisation)
    data = UserCreate(email="new@example.org", full_name="New", password=f.PASSWORD)

    with pytest.raises(NotAllowed):
        users.create_user(tx_session, principal, data, Role.PARTNER_VIEWER, organisation)


@pytest.mark.parametrize(
    "role", [Role.GRANT_MANAGER, Role.DONOR, Role.PARTNER_EDITOR, Role.PARTNER_VIEWER]
)
def test_every_role_but_admin_needs_an_organisation(tx_session: Session, role: Role) -> None:
    data = UserCreate(email="new@example.org", full_name="New", password=f.PASSWORD)

    with pytest.raises(Invalid) as refused:
        users.create_user(tx_session, SYSTEM, data, role)

    assert refused.value.field == "organisation"


def test_an_administrator_needs_no_organisation(tx_session: Session) -> None:
    user, principal = f.user(tx_session, Role.ADMIN)

    assert principal.is_admin
    assert principal.label == user.email
    memberships = tx_session.exec(
        select(Membership.role, Membership.organisation_id).where(Membership.user_id == user.id)
    ).all()
    assert memberships == [(Role.ADMIN, None)]


def test_the_principal_follows_the_membership(tx_session: Session) -> None:
    organisation = f.organisation(tx_session)
    _, editor = f.user(tx_session, Role.PARTNER_EDITOR, organisation)
    _, viewer = f.user(tx_session, Role.PARTNER_VIEWER, organisation)

    assert (editor.editor_org_ids, editor.viewer_org_ids) == ({organisation.id}, frozenset())
    assert (viewer.editor_org_ids, viewer.viewer_org_ids) == (frozenset(), {organisation.id})
    assert not editor.is_admin
    assert editor.partner_org_ids == viewer.partner_org_ids == {organisation.id}
