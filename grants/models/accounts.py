"""People and their access: users, memberships (user x organisation x role) and API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from grants.models.base import EMAIL, PlainText, Versioned, enum_type, timestamp_field, utcnow
from grants.models.enums import Role
from grants.models.notation import NonBlank


class UserBase(SQLModel):
    email: str = Field(max_length=254, unique=True, schema_extra=EMAIL)
    full_name: NonBlank = Field(min_length=1, max_length=200)
    locale: str = Field(default="en", max_length=10)


class User(UserBase, Versioned, table=True):
    __tablename__ = "user_account"
    id: int = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    last_login_at: dt.datetime | None = timestamp_field(nullable=True, default=None)


class UserCreate(UserBase, PlainText):
    password: str = Field(min_length=12, max_length=256)


class Membership(Versioned, table=True):
    """What a user may do, and for which organisation; an admin needs no organisation."""

    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", "role"),
        CheckConstraint("role = 'admin' OR organisation_id IS NOT NULL", name="organisation"),
    )
    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=enum_type(Role, "role"))


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its hash is kept."""

    __tablename__ = "api_token"
    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=128, unique=True)
    created_at: dt.datetime = timestamp_field(default_factory=utcnow)
    expires_at: dt.datetime | None = timestamp_field(nullable=True, default=None)
    last_used_at: dt.datetime | None = timestamp_field(nullable=True, default=None)
    revoked_at: dt.datetime | None = timestamp_field(nullable=True, default=None)


class UserRead(UserBase):
    """A user as shown to others: never the password hash."""

    id: int
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class UserUpdate(PlainText):
    full_name: NonBlank | None = Field(default=None, min_length=1, max_length=200)
    locale: str | None = Field(default=None, max_length=10)


class UserSession(SQLModel, table=True):
    """A signed-in browser: only a hash of its cookie value is kept."""

    __tablename__ = "user_session"
    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    csrf_token: str = Field(max_length=64)
    created_at: dt.datetime = timestamp_field(default_factory=utcnow)
    last_seen_at: dt.datetime = timestamp_field(default_factory=utcnow)
    expires_at: dt.datetime = timestamp_field()
    revoked_at: dt.datetime | None = timestamp_field(nullable=True, default=None)
    client: str = Field(default="", max_length=64)


class LoginAttempt(SQLModel, table=True):
    """One try at signing in, kept to throttle guessing by account and by client."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
    )
    id: int = Field(default=None, primary_key=True)
    at: dt.datetime = timestamp_field(default_factory=utcnow)
    email: str = Field(max_length=254)
    client: str = Field(max_length=64)
    succeeded: bool = Field(default=False)
