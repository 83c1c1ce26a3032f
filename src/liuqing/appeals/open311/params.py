"""Parsing and validating Open311 GeoReport v2 requests, without the database.

Each `parse_*` function takes the request's parameters (a Django QueryDict, or any mapping of
names to a string or a list of strings) and returns a typed, frozen dataclass, or raises
`Open311Error` listing every problem found at once. What needs the database is left to the
caller and named in each docstring: whether the api_key is valid (403), whether a service
code, request id, token or jurisdiction exists (404).

Rules common to every parameter: an empty value counts as absent (the spec says so), values
are stripped, and control characters are refused (XML cannot carry most of them).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .errors import ErrorKind, Open311Error, shown
from .wire import ServiceAttribute, ServiceDefinition

__all__ = [
    "DEFAULT_TZ",
    "EXTENDED_STATUSES",
    "MAX_DESCRIPTION",
    "MAX_PAGE_SIZE",
    "MAX_SPAN",
    "CreateRequest",
    "RequestsQuery",
    "UpdatePost",
    "UpdatesQuery",
    "parse_create_request",
    "parse_datetime",
    "parse_extensions",
    "parse_format",
    "parse_identifier",
    "parse_requests_query",
    "parse_update_post",
    "parse_updates_query",
]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
MAX_SPAN = dt.timedelta(days=90)
MAX_PAGE_SIZE = 1000  # also the cap on a request list without paging
MAX_DESCRIPTION = 4000
MAX_IDENTIFIER = 100
MAX_MEDIA_URL = 2000  # the longest URL every browser and proxy is known to carry
MAX_MEDIA_URLS = 5
STATUSES = ("open", "closed")
# mySociety's extended statuses, lower case as GET shows them; POST sends them upper case.
EXTENDED_STATUSES = (
    "open",
    "closed",
    "fixed",
    "in_progress",
    "action_scheduled",
    "investigating",
    "duplicate",
    "not_councils_responsibility",
    "no_further_action",
    "internal_referral",
    "reopen",
    "for_triage",
)

Params = Mapping[str, Any]
LocationKind = Literal["lat_long", "address_id", "address_string"]

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_IDENTIFIER_BAD = re.compile(r"[\s,\x00-\x1f\x7f]")
_HTML = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>|&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE = re.compile(r"^\+?[0-9()\-\s]{3,30}$")
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_W3C = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)"
    r"\s*(?P<zone>[Zz]|[+\- ]\d{2}(?::?\d{2})?)?)?$"
)


# --- Helpers ---------------------------------------------------------------------------------


class _Errors:
    """Collects errors while a parser carries on, so the client hears about all of them."""

    def __init__(self) -> None:
        self.items: list[Open311Error] = []

    def add(self, name: str, message: str, kind: ErrorKind = ErrorKind.BAD_REQUEST) -> None:
        self.items.append(Open311Error.of(kind, f"{name}: {message}", field=name))

    def raise_any(self) -> None:
        if self.items:
            raise Open311Error.combine(self.items)


def _values(params: Params, name: str) -> list[str]:
    getlist = getattr(params, "getlist", None)
    if callable(getlist):
        raw = list(getlist(name))
    else:
        value = params.get(name)
        raw = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in raw if v is not None and str(v).strip() != ""]


def _value(params: Params, name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None  # the last one, as Django's QueryDict.get does


def _text(
    params: Params, name: str, errors: _Errors, *, limit: int, plain: bool = False
) -> str | None:
    """An optional free-text value; `plain` refuses HTML."""
    value = _value(params, name)
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(value):
        errors.add(name, "contains control characters.")
    elif len(value) > limit:
        errors.add(name, f"is {len(value)} characters long; the limit is {limit}.")
    elif plain and _HTML.search(value):
        errors.add(name, "must be plain text, without HTML.")
    return value


def _identifier_error(value: str) -> str | None:
    if len(value) > MAX_IDENTIFIER:
        return f"is longer than {MAX_IDENTIFIER} characters."
    if _IDENTIFIER_BAD.search(value):
        return "must not contain spaces, commas or control characters."
    return None


def _identifier(params: Params, name: str, errors: _Errors, *, required: bool) -> str | None:
    value = _value(params, name)
    if value is None:
        if required:
            errors.add(name, "is required.")
        return None
    problem = _identifier_error(value)
    if problem:
        errors.add(name, problem)
        return None
    return value


def _id_list(params: Params, name: str, errors: _Errors) -> tuple[str, ...]:
    found: list[str] = []
    for value in _values(params, name):
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            problem = _identifier_error(part)
            if problem:
                errors.add(name, f"{shown(part)} {problem}")
            elif part not in found:
                found.append(part)
    if len(found) > MAX_PAGE_SIZE:
        errors.add(name, f"lists {len(found)} values; the limit is {MAX_PAGE_SIZE}.")
    return tuple(found)


def _jurisdiction(params: Params, errors: _Errors, required: bool) -> str | None:
    # Whether it exists is the caller's check (404).
    return _identifier(params, "jurisdiction_id", errors, required=required)


def _api_key(params: Params, errors: _Errors) -> str:
    value = _value(params, "api_key")
    if value is None:
        errors.add("api_key", "is required.", ErrorKind.MISSING_API_KEY)
        return ""
    if len(value) > 200 or _IDENTIFIER_BAD.search(value):
        errors.add("api_key", "is not valid.", ErrorKind.BAD_API_KEY)
        return ""
    return value


def parse_datetime(
    value: str, *, name: str = "datetime", tz: dt.tzinfo = DEFAULT_TZ, end_of_day: bool = False
) -> dt.datetime:
    """A W3C datetime (2026-03-01T09:30:00+08:00, …Z, or a date 2026-03-01) as an aware
    datetime. Without a zone the time is read in `tz`; a date alone means the start of that
    day, or its last microsecond with `end_of_day`. A "+" that a client forgot to encode
    arrives as a space and is read as "+". Raises Open311Error (400) otherwise."""
    m = _W3C.match(value.strip())
    if not m:
        raise Open311Error.of(
            ErrorKind.BAD_REQUEST,
            f"{name}: {shown(value)} is not a W3C datetime such as 2026-03-01T09:30:00+08:00.",
            field=name,
        )
    text = m.group("date")
    if m.group("time"):
        text += "T" + m.group("time").replace(",", ".")
    zone = m.group("zone")
    if zone:
        zone = "+" + zone[1:] if zone[0] == " " else zone
        text += "+00:00" if zone in "Zz" else zone
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error.of(
            ErrorKind.BAD_REQUEST,
            f"{name}: {shown(value)} is not a real date and time.",
            field=name,
        ) from None
    if m.group("time") is None and end_of_day:
        parsed = parsed.replace(hour=23, minute=59, second=59, microsecond=999999)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _datetime(
    params: Params, name: str, errors: _Errors, tz: dt.tzinfo, *, end_of_day: bool = False
) -> dt.datetime | None:
    value = _value(params, name)
    if value is None:
        return None
    try:
        return parse_datetime(value, name=name, tz=tz, end_of_day=end_of_day)
    except Open311Error as exc:
        errors.items.append(exc)
        return None


def _window(
    params: Params, errors: _Errors, tz: dt.tzinfo, now: dt.datetime | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """start_date/end_date, both inclusive: the last 90 days by default, at most 90 days."""
    start = _datetime(params, "start_date", errors, tz)
    end = _datetime(params, "end_date", errors, tz, end_of_day=True)
    if errors.items:
        return None, None
    if start is None and end is None:
        end = now or dt.datetime.now(tz=dt.UTC)
        start = end - MAX_SPAN
    elif end is None:
        assert start is not None
        end = start + MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end < start:
        errors.add("end_date", "is before start_date.")
    elif end - start > MAX_SPAN:
        # Dates alone are inclusive, so 2026-01-01 to 2026-03-31 is exactly 90 days.
        errors.add("end_date", "the span from start_date may not exceed 90 days.")
    return start, end


def _positive(params: Params, name: str, errors: _Errors, *, default: int, most: int) -> int:
    value = _value(params, name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= most:
        errors.add(name, f"must be a whole number from 1 to {most}.")
        return default
    return int(value)


# --- Format and identifiers in the path ------------------------------------------------------


def parse_format(suffix: str) -> Literal["xml", "json"]:
    """The response format from the path suffix ("xml" or "json"); anything else is 404."""
    fmt = suffix.lower().lstrip(".")
    if fmt == "xml":
        return "xml"
    if fmt == "json":
        return "json"
    raise Open311Error.of(
        ErrorKind.UNKNOWN_RESOURCE, f"format {shown(suffix)} is not offered; use xml or json."
    )


def parse_identifier(value: str, name: str = "service_request_id") -> str:
    """A service code, request id or token taken from the path (400 when malformed)."""
    value = value.strip()
    problem = "is required." if not value else _identifier_error(value)
    if problem:
        raise Open311Error.of(ErrorKind.BAD_REQUEST, f"{name}: {problem}", field=name)
    return value


# --- GET requests ----------------------------------------------------------------------------


def parse_extensions(params: Params, errors: _Errors | None = None) -> bool:
    """`extensions=true` asks for the extended answer (attributes, extended_attributes and
    the notes history); "false" or absent does not; anything else is 400."""
    value = (_value(params, "extensions") or "").lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    collect = errors or _Errors()
    collect.add("extensions", "must be true or false.")
    if errors is None:
        collect.raise_any()
    return False


@dataclass(frozen=True)
class RequestsQuery:
    """GET requests: either explicit ids (`service_request_ids`, which override every other
    filter) or a window [start, end] (inclusive) with optional service codes and statuses.
    Return at most `page_size` requests (1000 by default), skipping `offset`."""

    jurisdiction_id: str | None
    service_request_ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: tuple[str, ...] = ()  # empty: any status
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    extensions: bool = False

    @property
    def by_id(self) -> bool:
        return bool(self.service_request_ids)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def parse_requests_query(
    params: Params,
    *,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = DEFAULT_TZ,
    jurisdiction_required: bool = False,
) -> RequestsQuery:
    """Parse GET requests.{fmt}. The caller checks that the jurisdiction and any service
    codes exist; unknown request ids simply find nothing."""
    errors = _Errors()
    jurisdiction = _jurisdiction(params, errors, jurisdiction_required)
    extensions = parse_extensions(params, errors)
    ids = _id_list(params, "service_request_id", errors)
    if ids:
        errors.raise_any()
        return RequestsQuery(jurisdiction, service_request_ids=ids, extensions=extensions)
    codes = _id_list(params, "service_code", errors)
    statuses: list[str] = []
    for value in _values(params, "status"):
        for part in value.split(","):
            status = part.strip().lower()
            if not status:
                continue
            if status not in STATUSES:
                errors.add("status", f"{shown(part.strip())} is not one of open, closed.")
            elif status not in statuses:
                statuses.append(status)
    start, end = _window(params, errors, tz, now)
    page = _positive(params, "page", errors, default=1, most=10**6)
    page_size = _positive(params, "page_size", errors, default=MAX_PAGE_SIZE, most=MAX_PAGE_SIZE)
    errors.raise_any()
    return RequestsQuery(
        jurisdiction,
        service_codes=codes,
        start=start,
        end=end,
        statuses=() if set(statuses) == set(STATUSES) else tuple(statuses),
        page=page,
        page_size=page_size,
        extensions=extensions,
    )


# --- POST requests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateRequest:
    """POST requests: a new request from a client, validated but not yet checked against
    the database (the api_key and the service code are the caller's)."""

    api_key: str
    service_code: str
    jurisdiction_id: str | None = None
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    # Every attribute as sent: code → values (one value unless sent as attribute[code][]).
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Typed values of the definition's attributes (str, Decimal, datetime, or a tuple of keys
    # for a multivaluelist); empty when no definition was given.
    attribute_values: dict[str, Any] = field(default_factory=dict)
    # Codes the definition does not know; kept out of attribute_values, not an error, because
    # clients such as FixMyStreet send their own (title, report_url, fixmystreet_id, ...).
    unknown_attributes: tuple[str, ...] = ()
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_urls: tuple[str, ...] = ()

    @property
    def location_kind(self) -> LocationKind:
        if self.lat is not None:
            return "lat_long"
        if self.address_id is not None:
            return "address_id"
        return "address_string"

    @property
    def media_url(self) -> str | None:
        return self.media_urls[0] if self.media_urls else None


def _coordinate(params: Params, name: str, errors: _Errors, bound: float) -> float | None:
    value = _value(params, name)
    if value is None:
        return None
    try:
        number = float(Decimal(value))
    except (InvalidOperation, ValueError):
        errors.add(name, f"{shown(value)} is not a number.")
        return None
    if not math.isfinite(number) or not -bound <= number <= bound:
        errors.add(name, f"must be between -{bound:g} and {bound:g}.")
        return None
    return number


def _attributes(params: Params, errors: _Errors) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for key in params:
        m = _ATTRIBUTE_KEY.match(str(key))
        if not m:
            continue
        code = m.group(1).strip()
        values = _values(params, str(key))
        for value in values:
            if _CONTROL.search(value):
                errors.add(f"attribute[{code}]", "contains control characters.")
        found.setdefault(code, []).extend(values)
    return {code: tuple(values) for code, values in found.items()}


def _typed(
    attribute: ServiceAttribute, values: tuple[str, ...], errors: _Errors, tz: dt.tzinfo
) -> Any:
    name = f"attribute[{attribute.code}]"
    kind = attribute.datatype
    if kind == "multivaluelist":
        unknown = [v for v in values if v not in attribute.keys]
        if unknown:
            errors.add(f"{name}[]", f"{shown(unknown[0])} is not one of the listed values.")
        return tuple(dict.fromkeys(values))
    if len(values) > 1:
        errors.add(name, "takes one value.")
        return None
    value = values[0]
    if kind == "singlevaluelist":
        if value not in attribute.keys:
            errors.add(name, f"{shown(value)} is not one of the listed values.")
        return value
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            errors.add(name, f"{shown(value)} is not a number.")
            return None
        if not number.is_finite():
            errors.add(name, f"{shown(value)} is not a number.")
            return None
        return number
    if kind == "datetime":
        try:
            return parse_datetime(value, name=name, tz=tz)
        except Open311Error as exc:
            errors.items.append(exc)
            return None
    limit = MAX_DESCRIPTION if kind == "text" else 1000
    if len(value) > limit:
        errors.add(name, f"is {len(value)} characters long; the limit is {limit}.")
    return value


def _check_attributes(
    definition: ServiceDefinition,
    sent: dict[str, tuple[str, ...]],
    errors: _Errors,
    tz: dt.tzinfo,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    typed: dict[str, Any] = {}
    known = {a.code for a in definition.attributes}
    for attribute in sorted(definition.attributes, key=lambda a: a.order):
        if not attribute.variable:
            continue
        values = sent.get(attribute.code, ())
        if not values:
            if attribute.required:
                suffix = "[]" if attribute.datatype == "multivaluelist" else ""
                errors.add(f"attribute[{attribute.code}]{suffix}", "is required.")
            continue
        typed[attribute.code] = _typed(attribute, values, errors, tz)
    return typed, tuple(code for code in sent if code not in known)


def _media_urls(params: Params, errors: _Errors) -> tuple[str, ...]:
    urls: list[str] = []
    for name in ("media_url", "media_url[]"):
        for value in _values(params, name):
            try:
                parts = urlsplit(value)
                host = parts.hostname
            except ValueError:
                parts, host = None, None
            if len(value) > MAX_MEDIA_URL:
                errors.add("media_url", f"is longer than {MAX_MEDIA_URL} characters.")
            elif parts is None or parts.scheme.lower() not in ("http", "https") or not host:
                errors.add("media_url", f"{shown(value)} is not an http(s) URL.")
            elif parts.username is not None or parts.password is not None:
                errors.add("media_url", "must not carry a user name or password.")
            elif _CONTROL.search(value) or any(c.isspace() for c in value):
                errors.add("media_url", "contains spaces or control characters.")
            else:
                urls.append(value)
    if len(urls) > MAX_MEDIA_URLS:
        errors.add("media_url", f"lists {len(urls)} URLs; the limit is {MAX_MEDIA_URLS}.")
    return tuple(urls)


def parse_create_request(
    params: Params,
    *,
    definition: ServiceDefinition | None = None,
    tz: dt.tzinfo = DEFAULT_TZ,
    jurisdiction_required: bool = False,
    strict_location: bool = False,
) -> CreateRequest:
    """Parse the form fields of POST requests.{fmt}.

    Required: api_key (missing → 403; whether it is valid is the caller's check), service_code
    (its existence is the caller's check → 404), a location: lat and long together, an
    address_string or an address_id. The spec asks for "one of" them; clients such as
    FixMyStreet send lat/long *and* address_string, so several are accepted unless
    `strict_location` (then exactly one). With the service's `definition`, required
    attributes must be present and every attribute of the definition is typed and checked
    (list values against the keys, numbers, datetimes); pass the definition the caller looked
    up by service_code. Optional fields are length-checked; the description is at most 4000
    characters of plain text, without HTML.
    """
    errors = _Errors()
    api_key = _api_key(params, errors)
    jurisdiction = _jurisdiction(params, errors, jurisdiction_required)
    service_code = _identifier(params, "service_code", errors, required=True)

    lat = _coordinate(params, "lat", errors, 90)
    long = _coordinate(params, "long", errors, 180)
    has_lat, has_long = _value(params, "lat") is not None, _value(params, "long") is not None
    if has_lat != has_long:
        errors.add("long" if has_lat else "lat", "lat and long go together; one is missing.")
    address_string = _text(params, "address_string", errors, limit=500)
    address_id = _identifier(params, "address_id", errors, required=False)
    given = [has_lat and has_long, address_string is not None, address_id is not None]
    if not any(given) and not (has_lat or has_long):
        errors.add("lat", "a location is required: lat and long, address_string or address_id.")
    elif strict_location and sum(given) > 1:
        errors.add("lat", "give one location only: lat and long, address_string or address_id.")

    attributes = _attributes(params, errors)
    typed: dict[str, Any] = {}
    unknown: tuple[str, ...] = ()
    if definition is not None:
        if service_code is not None and definition.service_code != service_code:
            raise ValueError("The definition passed is not the one for this service_code.")
        typed, unknown = _check_attributes(definition, attributes, errors, tz)

    email = _text(params, "email", errors, limit=254)
    if email is not None and not _EMAIL.match(email):
        errors.add("email", f"{shown(email)} is not an e-mail address.")
    phone = _text(params, "phone", errors, limit=30)
    if phone is not None and not _PHONE.match(phone):
        errors.add("phone", f"{shown(phone)} is not a phone number.")
    created = CreateRequest(
        api_key=api_key,
        service_code=service_code or "",
        jurisdiction_id=jurisdiction,
        lat=lat,
        long=long,
        address_string=address_string,
        address_id=address_id,
        attributes=attributes,
        attribute_values=typed,
        unknown_attributes=unknown,
        email=email,
        device_id=_text(params, "device_id", errors, limit=200),
        account_id=_text(params, "account_id", errors, limit=200),
        first_name=_text(params, "first_name", errors, limit=100),
        last_name=_text(params, "last_name", errors, limit=100),
        phone=phone,
        description=_text(params, "description", errors, limit=MAX_DESCRIPTION, plain=True),
        media_urls=_media_urls(params, errors),
    )
    errors.raise_any()
    return created


# --- mySociety's service request updates ------------------------------------------------------


@dataclass(frozen=True)
class UpdatesQuery:
    """GET servicerequestupdates.{fmt}: updates in [start, end], 90 days at most."""

    jurisdiction_id: str | None
    api_key: str | None
    start: dt.datetime
    end: dt.datetime


def parse_updates_query(
    params: Params,
    *,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = DEFAULT_TZ,
    jurisdiction_required: bool = False,
) -> UpdatesQuery:
    """Parse GET servicerequestupdates. The api_key is optional here (mySociety's schema);
    when the caller requires one it checks `api_key` itself."""
    errors = _Errors()
    jurisdiction = _jurisdiction(params, errors, jurisdiction_required)
    api_key = _value(params, "api_key")
    start, end = _window(params, errors, tz, now)
    errors.raise_any()
    assert start is not None
    assert end is not None
    return UpdatesQuery(jurisdiction, api_key, start, end)


@dataclass(frozen=True)
class UpdatePost:
    """POST servicerequestupdates: a client's update (a note and a status) to a request.
    `status` is lower case here (sent upper case); `update_id` is the client's own id."""

    api_key: str
    service_request_id: str
    update_id: str
    status: str
    updated_datetime: dt.datetime
    description: str
    jurisdiction_id: str | None = None
    service_code: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    account_id: str | None = None
    media_urls: tuple[str, ...] = ()


def parse_update_post(
    params: Params, *, tz: dt.tzinfo = DEFAULT_TZ, jurisdiction_required: bool = False
) -> UpdatePost:
    """Parse POST servicerequestupdates. Required: api_key (403), service_request_id,
    update_id, status (one of the extended statuses, any case), updated_datetime and
    description (present, may be empty; plain text, at most 4000 characters)."""
    errors = _Errors()
    api_key = _api_key(params, errors)
    jurisdiction = _jurisdiction(params, errors, jurisdiction_required)
    request_id = _identifier(params, "service_request_id", errors, required=True)
    update_id = _identifier(params, "update_id", errors, required=True)
    status = (_value(params, "status") or "").lower()
    if not status:
        errors.add("status", "is required.")
    elif status not in EXTENDED_STATUSES:
        errors.add("status", f"{shown(status.upper())} is not a known status.")
    updated = None
    if _value(params, "updated_datetime") is None:
        errors.add("updated_datetime", "is required.")
    else:
        updated = _datetime(params, "updated_datetime", errors, tz)
    if "description" not in params:
        errors.add("description", "is required (it may be empty).")
    description = _text(params, "description", errors, limit=MAX_DESCRIPTION, plain=True) or ""
    email = _text(params, "email", errors, limit=254)
    if email is not None and not _EMAIL.match(email):
        errors.add("email", f"{shown(email)} is not an e-mail address.")
    post = UpdatePost(
        api_key=api_key,
        service_request_id=request_id or "",
        update_id=update_id or "",
        status=status,
        updated_datetime=updated or dt.datetime.min.replace(tzinfo=dt.UTC),
        description=description,
        jurisdiction_id=jurisdiction,
        service_code=_identifier(params, "service_code", errors, required=False),
        email=email,
        phone=_text(params, "phone", errors, limit=30),
        first_name=_text(params, "first_name", errors, limit=100),
        last_name=_text(params, "last_name", errors, limit=100),
        title=_text(params, "title", errors, limit=200),
        account_id=_text(params, "account_id", errors, limit=200),
        media_urls=_media_urls(params, errors),
    )
    errors.raise_any()
    return post
