"""Open311 errors: what went wrong, in the spec's `errors/error{code, description}` shape.

GeoReport v2 answers 404 for an unknown resource or jurisdiction, 403 for a bad or missing
api_key and 400 for everything else, and may list several errors at once. The `code` in the
body is the HTTP status as text (what clients such as FixMyStreet read); `field` names the
parameter at fault for our own callers and tests and is not sent.

Descriptions are English on purpose: the audience is a client developer, and the API has one
language for its machine-readable answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

__all__ = ["ErrorItem", "ErrorKind", "Open311Error", "shown", "status_for"]


class ErrorKind(Enum):
    """Why a request failed; the kind decides the HTTP status."""

    UNKNOWN_RESOURCE = "unknown_resource"  # a service code, request id, token, format, path
    UNKNOWN_JURISDICTION = "unknown_jurisdiction"
    MISSING_API_KEY = "missing_api_key"
    BAD_API_KEY = "bad_api_key"
    BAD_REQUEST = "bad_request"  # a missing or malformed parameter, and everything else


_STATUS = {
    ErrorKind.UNKNOWN_RESOURCE: 404,
    ErrorKind.UNKNOWN_JURISDICTION: 404,
    ErrorKind.MISSING_API_KEY: 403,
    ErrorKind.BAD_API_KEY: 403,
    ErrorKind.BAD_REQUEST: 400,
}
# When several errors come back together the response carries the most telling status:
# a refused key first (nothing else matters to an unauthorised client), then "not found".
_PRECEDENCE = (403, 404, 400)


def status_for(kind: ErrorKind) -> int:
    return _STATUS[kind]


def shown(value: str, limit: int = 64) -> str:
    """A client's value quoted in an error description, cut short if it is long."""
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


@dataclass(frozen=True)
class ErrorItem:
    """One `error` element."""

    status: int
    code: str
    description: str
    field: str | None = None


class Open311Error(Exception):
    """An Open311 failure with one or more errors; `status` is the HTTP status to send.

    Raise `Open311Error(404, "404", "service_code FOO is not known")` for one error, or
    collect several with `Open311Error.combine(...)`. The appeals views render it with
    `wire.render(fmt, "errors", exc)`.
    """

    def __init__(
        self, status: int, code: str | int | None, description: str, *, field: str | None = None
    ) -> None:
        self.errors: tuple[ErrorItem, ...] = (
            ErrorItem(status, str(code if code is not None else status), description, field),
        )
        super().__init__(description)

    @property
    def status(self) -> int:
        statuses = {e.status for e in self.errors}
        return next((s for s in _PRECEDENCE if s in statuses), max(statuses))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(e.field for e in self.errors if e.field)

    def __str__(self) -> str:
        return "; ".join(f"{e.code}: {e.description}" for e in self.errors)

    @classmethod
    def of(cls, kind: ErrorKind, description: str, *, field: str | None = None) -> Open311Error:
        status = status_for(kind)
        return cls(status, status, description, field=field)

    @classmethod
    def combine(cls, errors: Iterable[Open311Error | ErrorItem]) -> Open311Error:
        items: list[ErrorItem] = []
        for error in errors:
            items.extend(error.errors if isinstance(error, Open311Error) else (error,))
        if not items:
            raise ValueError("Open311Error.combine needs at least one error")
        combined = cls(items[0].status, items[0].code, items[0].description, field=items[0].field)
        combined.errors = tuple(items)
        combined.args = (str(combined),)
        return combined

    # Shorthands for the checks only the caller can make (they need the database).

    @classmethod
    def unknown_service(cls, code: str) -> Open311Error:
        return cls.of(
            ErrorKind.UNKNOWN_RESOURCE,
            f"service_code {shown(code)} is not known.",
            field="service_code",
        )

    @classmethod
    def unknown_request(cls, request_id: str) -> Open311Error:
        return cls.of(
            ErrorKind.UNKNOWN_RESOURCE,
            f"service_request_id {shown(request_id)} is not known.",
            field="service_request_id",
        )

    @classmethod
    def unknown_token(cls, token: str) -> Open311Error:
        return cls.of(
            ErrorKind.UNKNOWN_RESOURCE, f"token {shown(token)} is not known.", field="token"
        )

    @classmethod
    def unknown_jurisdiction(cls, jurisdiction_id: str) -> Open311Error:
        return cls.of(
            ErrorKind.UNKNOWN_JURISDICTION,
            f"jurisdiction_id {shown(jurisdiction_id)} is not known.",
            field="jurisdiction_id",
        )

    @classmethod
    def bad_api_key(cls) -> Open311Error:
        return cls.of(ErrorKind.BAD_API_KEY, "api_key is not valid.", field="api_key")

    @classmethod
    def unknown_resource(cls, what: str = "This resource") -> Open311Error:
        return cls.of(ErrorKind.UNKNOWN_RESOURCE, f"{what} does not exist.")
