"""Users, memberships and passwords (Argon2id)."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, select

from grants.config import get_settings
from grants.i18n import _
from grants.models import Membership, Organisation, Role, User, UserCreate, UserUpdate
from grants.services.access import Principal
from grants.services.common import get_by_key, writes
from grants.services.errors import Invalid, NotAllowed
from grants.services.rules import check_version

MIN_PASSWORD = 12
MAX_PASSWORD = 256
# Words people build passwords from; a password that is one of them padded with digits or
# symbols ("Password2026!", "motdepasse123") is refused, as are keyboard and alphabet runs
# and repeated chunks ("qwertyuiop12", "abcabcabcabc").
COMMON_WORDS = frozenset(
    {
        "password",
        "passw0rd",
        "passphrase",
        "motdepasse",
        "contrasena",
        "admin",
        "administrator",
        "qwerty",
        "azerty",
        "qwertz",
        "letmein",
        "welcome",
        "bienvenue",
        "marhaba",
        "root",
        "changeme",
        "secret",
        "iloveyou",
        "jetaime",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "soccer",
        "sunshine",
        "princess",
        "master",
        "shadow",
        "superman",
        "batman",
        "trustno1",
        "starwars",
        "whatever",
        "freedom",
        "hello",
        "bonjour",
        "salam",
        "soleil",
        "loveyou",
        "grants",
        "grantstracker",
        "tracker",
        "login",
        "user",
        "test",
    }
)
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "01234567890123456789",
    "09876543210987654321",
    "zyxwvutsrqponmlkjihgfedcba",
)


@lru_cache
def password_hasher() -> PasswordHash:
    """Return the Argon2id hasher with the configured cost."""
    settings = get_settings()
    return PasswordHash(
        (
            Argon2Hasher(
                time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost
            ),
        )
    )


def is_common(lowered: str) -> bool:
    """Return whether a lower-cased password is a common word, run or repetition."""
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?/ ")
    if not core or core in COMMON_WORDS or len(set(lowered)) <= 3:
        return True
    if any(lowered in run or core in run for run in SEQUENCES):
        return True
    return any(lowered == (lowered[:size] * len(lowered))[: len(lowered)] for size in range(1, 5))


def check_password(password: str, email: str = "") -> str:
    """Return ``password`` if it meets the policy; raise ``Invalid`` saying why not."""
    if len(password) < MIN_PASSWORD:
        raise Invalid("password", "***", _("must be at least 12 characters long"))
    if len(password) > MAX_PASSWORD:
        raise Invalid("password", "***", _("must be at most 256 characters long"))
    lowered = password.lower()
    if is_common(lowered):
        raise Invalid("password", "***", _("is too common; choose another"))
    if email and lowered == email.lower():
        raise Invalid("password", "***", _("must not be your email address"))
    return password


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``."""
    return password_hasher().hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Return whether ``password`` matches, and a new hash when the stored one is outdated."""
    return password_hasher().verify_and_update(password, password_hash)


def _filled(field: str, value: str | None) -> str:
    """Return ``value`` without the spaces around it; refuse it when nothing else is left."""
    text = (value or "").strip()
    if not text:
        raise Invalid(field, value, _("must not be empty"))
    return text


@writes
def create_user(
    session: Session,
    principal: Principal,
    data: UserCreate,
    role: Role,
    organisation: Organisation | None = None,
    *,
    password_hash: str | None = None,
) -> User:
    """Create and return a user with one membership (administrators only).

    ``password_hash``, when given, must be the Argon2id hash of ``data.password``: bulk
    loads of accounts that share a password hash it once.
    """
    if not principal.is_admin:
        raise NotAllowed(_("Only an administrator may add users."))
    if role != Role.ADMIN and organisation is None:
        raise Invalid(
            "organisation", None, _("the {role} role needs an organisation").format(role=role.value)
        )
    email = data.email.strip().lower()
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Invalid("email", email, _("a user with this email already exists"))
    check_password(data.password, email)
    if password_hash is not None and not password_hash.startswith("$argon2id$"):
        raise Invalid("password_hash", "***", _("must be an Argon2id hash"))
    user = User(
        email=email,
        full_name=_filled("full_name", data.full_name),
        locale=data.locale,
        password_hash=password_hash or hash_password(data.password),
    )
    session.add(user)
    session.flush()
    session.add(
        Membership(
            user_id=user.id, role=role, organisation_id=organisation.id if organisation else None
        )
    )
    return user


def user_by_email(session: Session, email: str) -> User:
    """Return the user with ``email``; raise ``NotFound``."""
    return get_by_key(session, User, User.email, email.strip().lower(), "User")


@writes
def update_user(
    session: Session,
    principal: Principal,
    user: User,
    data: UserUpdate,
    expected_version: int | None = None,
) -> User:
    """Change a user's name or language (administrators, or the user themself)."""
    if not (principal.is_admin or principal.user_id == user.id):
        raise NotAllowed(_("Only an administrator or the user may do this."))
    check_version(user, expected_version)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(user, key, _filled(key, value))
    session.add(user)
    return user


@writes
def store_password_hash(
    session: Session, principal: Principal, user: User, password_hash: str
) -> User:
    """Replace the user's password hash with a stronger one of the same password."""
    if not (principal.is_admin or principal.user_id == user.id):
        raise NotAllowed(_("Only an administrator or the user may do this."))
    if not password_hash.startswith("$argon2id$"):
        raise Invalid("password_hash", "***", _("must be an Argon2id hash"))
    user.password_hash = password_hash
    session.add(user)
    return user
