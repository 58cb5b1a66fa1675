"""Domain errors: what the web, API and CLI layers turn into messages and status codes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken; ``str(error)`` is one line a person understands."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value


class NotFound(DomainError):
    """The object does not exist, or the principal may not see it (never say which)."""


class NotAllowed(DomainError):
    """The principal may see the object but not perform this action."""


class InvalidTransition(DomainError):
    """The workflow does not allow this step from the object's current state."""

    def __init__(self, message: str, *, allowed: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.allowed = tuple(sorted(allowed))


class Conflict(DomainError):
    """The object changed since it was read, or the change clashes with another row."""


class Stale(Conflict):
    """The object changed since the caller read it (a stale version or ETag)."""


class Invalid(DomainError):
    """A value breaks a rule; ``field`` and ``value`` name it."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(f"{field}: {reason} (got {value!r})", field=field, value=value)
        self.reason = reason


class TooLarge(Invalid):
    """An upload is over the size limit."""
