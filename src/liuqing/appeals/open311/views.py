"""The Open311 GeoReport v2 server at /open311/v2/, with mySociety's request-updates extension.

Every endpoint answers in XML or JSON by its suffix, and every failure is an `errors`
document in that format: 404 for an unknown resource or jurisdiction, 403 for a missing or
bad api_key, 429 over the rate limit, 400 for the rest (see errors.py). Nothing here is a
Django error page, and nothing is a 500 for bad input.

Decisions worth knowing:

* **Jurisdictions.** `jurisdiction_id` is a unit code, at any level (a detachment, a
  station, a community office): the answer covers that unit's subtree. It is required when
  the deployment has more than one top unit (400 without it), optional otherwise; an unknown
  or inactive code is 404.
* **Request ids.** `service_request_id` is the case number with the code of the unit that
  issued it, "SQ-2026-000123@T654002-01": numbers are unique per issuing unit and year only.
* **What is listed.** Appeals staff marked public (`is_public`), with the officer-approved
  summary as `description` and the public result as `status_notes` (once closed), redacted;
  coordinates rounded to 3 decimals (about 100 m); never a name, phone, e-mail, account id or
  device id. A client that sends its api_key on a GET also sees the requests it submitted,
  through the same public fields (the summary is empty until an officer writes one).
* **Creating.** POST requests needs an api_key (clients are created with
  `liuqing open311-client NAME`). The location decides the unit: `address_id` is one of our
  village/community ids, `address_string` a village's exact name, and lat/long picks the
  nearest village or community of the jurisdiction within `LOCATE_RADIUS_KM`. The reporter's
  name and phone are kept (encrypted) for the officer's call back; e-mail, account and device
  ids are not stored at all. `expected_datetime` is the resolution deadline on the working-day
  calendar.
* **Extensions.** `extensions=true` on GET requests and GET requests/{id} adds, after the
  spec's fields, `attributes` (the answers to the service definition's questions, given back
  only to the client that sent them: a "vulnerable resident" tag is not for the public),
  `extended_attributes` (`channel`, `detailed_status` in mySociety's vocabulary, `photos`)
  and `notes`, the public history (receipt, then the public timeline entries, redacted);
  "false" or no value leaves them out, anything else is 400.
* **Media.** A client's `media_url` on POST (http or https with a host, no user name or
  password, at most 2,000 characters, at most 5) is kept for the officers and never given out:
  nobody has checked what it shows. `media_url` on GET points at a photo staff attached as
  public to a request on the public record, in the copy casework made of it without any
  metadata (casework.uploads.public_copy), at media/<entry id>-<keyed digest>.jpg|png; PDFs,
  internal attachments and the photos of unpublished requests are never listed or served.
* **Batch services** answer a `token`; tokens/{token} gives the request id once staff accept
  the case (until then the token alone).
* **Client updates** (POST servicerequestupdates) add a public note to the request. A client
  cannot close or reopen it: FIXED, CLOSED, REOPEN and the like are recorded in the note and
  the officer (or the unit's supervisors) is asked to check, because closure is verified by
  staff (casework). The request's status therefore does not change by itself.
* CSRF does not apply (clients authenticate with their api_key, not a cookie); POSTs are
  rate limited per client address.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt

from liuqing.appeals import public_selectors as selectors
from liuqing.appeals.models import Open311Client
from liuqing.appeals.public import ratelimit
from liuqing.appeals.public_services import add_client_update, submit_open311_request
from liuqing.core.models import Place, Unit

from . import catalog, params, wire
from .errors import ErrorItem, ErrorKind, Open311Error

# When this API last changed in a way clients should notice (discovery's changeset).
CHANGESET = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
LOCATE_RADIUS_KM = 30.0
CONTACT = (
    "Questions about this API: the detachment's command centre. "
    "Urgent matters: call 110; this API is not monitored around the clock."
)
KEY_SERVICE = "An api_key is issued by the detachment's administrators (one per client)."
FIELD_NAMES = {
    "category": "service_code",
    "place": "lat",
    "latitude": "lat",
    "longitude": "long",
    "resident_phone": "phone",
    "resident_name": "first_name",
}

View = Callable[..., HttpResponse]


def _answer(fmt: str, kind: str, payload: Any, status: int = 200) -> HttpResponse:
    body, content_type = wire.render(fmt, kind, payload)
    return HttpResponse(body, content_type=content_type, status=status)


def _error(fmt: str, error: Open311Error) -> HttpResponse:
    body, content_type, status = wire.render_error(fmt, error)
    response = HttpResponse(body, content_type=content_type, status=status)
    if status == 405:
        response["Allow"] = "GET, POST"
    return response


def _from_validation(exc: ValidationError) -> Open311Error:
    items = []
    for name, messages in exc.message_dict.items() if hasattr(exc, "error_dict") else []:
        field = FIELD_NAMES.get(name, name)
        for message in messages:
            prefix = "" if name == NON_FIELD_ERRORS else f"{field}: "
            items.append(ErrorItem(400, "400", f"{prefix}{message}", field))
    if not items:
        items = [ErrorItem(400, "400", "; ".join(exc.messages))]
    return Open311Error.combine(items)


def endpoint(*methods: str) -> Callable[[View], View]:
    """The frame of every endpoint: the format from the suffix, the allowed methods, English
    answers, and every refusal as an `errors` document."""
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            chosen = "json" if fmt.lower() == "json" else "xml"
            with translation.override("en"):
                try:
                    chosen = params.parse_format(fmt)
                    if request.method not in allowed:
                        raise Open311Error(
                            405, "405", f"{request.method} is not allowed here.", field="method"
                        )
                    return view(request, chosen, *args, **kwargs)
                except Open311Error as exc:
                    return _error(chosen, exc)
                except ValidationError as exc:
                    return _error(chosen, _from_validation(exc))

        return wrapper

    return decorate


def _limited(request: HttpRequest) -> None:
    verdict = ratelimit.hit(request, "open311_post")
    if not verdict.allowed:
        raise Open311Error(
            429,
            "429",
            f"Too many requests from this address; try again in {verdict.retry_after} seconds.",
        )


def _client(key: str | None, *, required: bool) -> Open311Client | None:
    """The client of `key`: 403 when it is given and wrong (or missing and required)."""
    key = (key or "").strip()
    if not key:
        if required:
            raise Open311Error.of(
                ErrorKind.MISSING_API_KEY, "api_key: is required.", field="api_key"
            )
        return None
    client = selectors.open311_client_for_key(key)
    if client is None:
        raise Open311Error.bad_api_key()
    return client


def _jurisdiction_param(request: HttpRequest) -> str | None:
    """jurisdiction_id of a GET that has no parser of its own (services, tokens)."""
    raw = (request.GET.get("jurisdiction_id") or "").strip()
    if raw:
        return params.parse_identifier(raw, "jurisdiction_id")
    if selectors.jurisdiction_required():
        raise Open311Error.of(
            ErrorKind.BAD_REQUEST, "jurisdiction_id: is required.", field="jurisdiction_id"
        )
    return None


def _unit(code: str | None) -> Unit | None:
    if code is None:
        return None
    unit = selectors.jurisdiction(code)
    if unit is None:
        raise Open311Error.unknown_jurisdiction(code)
    return unit


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


@dataclass
class _Extras:
    """What the rows of one answer add beyond their own columns: public photos always (for
    media_url), and with extensions=true the notes history and the client's own answers."""

    photos: dict[int, list[selectors.PublicPhoto]]
    extensions: bool = False
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    definitions: dict[str, wire.ServiceDefinition] = field(default_factory=dict)


def _extras(rows: list[dict[str, Any]], client: Open311Client | None, extensions: bool) -> _Extras:
    """One query for the photos; with the extensions, one for the notes, and for a client's
    own requests one for their answers and one for the definitions."""
    extras = _Extras(photos=selectors.open311_photos(rows), extensions=extensions)
    if extensions and rows:
        extras.notes = selectors.open311_notes(rows)
        extras.answers = selectors.open311_own_attributes(rows, client)
        if extras.answers:
            extras.definitions = {
                c.code: catalog.definition_for(c) for c in selectors.open311_categories()
            }
    return extras


def _media_url(request: HttpRequest, photo: selectors.PublicPhoto) -> str:
    return request.build_absolute_uri(
        reverse("open311:media", kwargs={"token": photo.token, "ext": photo.extension})
    )


def _answers(
    definition: wire.ServiceDefinition | None, answers: dict[str, Any]
) -> list[wire.RequestAttribute]:
    """The client's answers in the definition's order, list values with their names."""
    out: list[wire.RequestAttribute] = []
    if definition is None:
        return out
    for attribute in sorted(definition.attributes, key=lambda a: a.order):
        if attribute.code not in answers or answers[attribute.code] in (None, "", []):
            continue
        value = answers[attribute.code]
        values = value if isinstance(value, list) else [value]
        names = {str(v.key): v.name for v in attribute.values}
        for one in values:
            one = str(one)
            listed = attribute.datatype in ("singlevaluelist", "multivaluelist")
            out.append(
                wire.RequestAttribute(
                    name=attribute.code,
                    label=attribute.description,
                    value=names.get(one, one) if listed else one,
                    code=one if listed else "",
                )
            )
    return out


def _service_request(
    request: HttpRequest, row: dict[str, Any], extras: _Extras
) -> wire.ServiceRequest:
    requested = _local(row["requested_datetime"])
    assert requested is not None
    photos = extras.photos.get(row["pk"], [])
    urls = [_media_url(request, photo) for photo in photos]
    extended: dict[str, Any] = {}
    if extras.extensions:
        notes = extras.notes.get(row["pk"], [])
        extended = {
            "attributes": _answers(
                extras.definitions.get(row["service_code"]), extras.answers.get(row["pk"], {})
            ),
            "extended_attributes": wire.ExtendedAttributes(
                channel=row["channel"],
                detailed_status=selectors.FMS_STATUS.get(row["status"], row["open311_status"]),
                photos=[
                    wire.Photo(media_url=url, created_at=_local(photo.at) or photo.at)
                    for url, photo in zip(urls, photos, strict=True)
                ],
            ),
            "notes": [
                wire.Note(
                    datetime=_local(note["datetime"]) or note["datetime"],
                    description=note["description"],
                    type=note["type"],
                )
                for note in notes
            ],
        }
    return wire.ServiceRequest(
        service_request_id=row["service_request_id"],
        status=row["open311_status"],
        service_name=row["service_name"],
        service_code=row["service_code"],
        requested_datetime=requested,
        updated_datetime=_local(row["updated_datetime"]),
        status_notes=row["status_notes"],
        description=row["description"],
        agency_responsible=row["agency_responsible"],
        expected_datetime=_local(row["expected_datetime"]),
        address=row["address"],
        lat=row["lat"],
        long=row["long"],
        media_url=urls[0] if urls else "",
        **extended,
    )


# --- Discovery and services ------------------------------------------------------------------


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:not_found", kwargs={"rest": ""}))
    return _answer(
        fmt,
        "discovery",
        wire.Discovery(
            changeset=CHANGESET,
            contact=CONTACT,
            key_service=KEY_SERVICE,
            endpoints=[
                wire.Endpoint(
                    url=base.rstrip("/"),
                    changeset=CHANGESET,
                    type="test" if settings.DEBUG else "production",
                    formats=tuple(wire.MIME_TYPES.values()),
                )
            ],
        ),
    )


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    _unit(_jurisdiction_param(request))
    listed = []
    for category in selectors.open311_categories():
        spec = catalog.spec_for(category)
        listed.append(
            wire.Service(
                service_code=category.code,
                service_name=category.name,
                description=category.description,
                metadata=bool(spec.attributes),
                type=spec.type,
                group=category.parent.name if category.parent is not None else "",
            )
        )
    return _answer(fmt, "services", listed)


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    _unit(_jurisdiction_param(request))
    code = params.parse_identifier(code, "service_code")
    category = selectors.open311_category(code)
    if category is None:
        raise Open311Error.unknown_service(code)
    return _answer(fmt, "service_definition", catalog.definition_for(category))


# --- Requests --------------------------------------------------------------------------------


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    query = params.parse_requests_query(
        request.GET, jurisdiction_required=selectors.jurisdiction_required()
    )
    within = _unit(query.jurisdiction_id)
    client = _client(request.GET.get("api_key"), required=False)
    if not query.by_id:
        known = {c.code for c in selectors.open311_categories()}
        unknown = [code for code in query.service_codes if code not in known]
        if unknown:
            raise Open311Error.combine(Open311Error.unknown_service(code) for code in unknown)
    rows = selectors.open311_requests(
        within=within,
        client=client,
        ids=query.service_request_ids,
        codes=query.service_codes,
        start=query.start,
        end=query.end,
        statuses=query.statuses,
        offset=0 if query.by_id else query.offset,
        limit=params.MAX_PAGE_SIZE if query.by_id else query.page_size,
    )
    extras = _extras(rows, client, query.extensions)
    return _answer(fmt, "requests", [_service_request(request, row, extras) for row in rows])


def _locate(within: Unit | None, parsed: params.CreateRequest) -> Place:
    place = None
    if parsed.address_id is not None or parsed.address_string is not None:
        place = selectors.place_by_address(
            within, address_id=parsed.address_id, address_string=parsed.address_string
        )
    if place is None and parsed.lat is not None and parsed.long is not None:
        place = selectors.nearest_place(within, parsed.lat, parsed.long, LOCATE_RADIUS_KM)
    if place is None:
        raise Open311Error.of(
            ErrorKind.BAD_REQUEST,
            "lat: the location is not in the area this jurisdiction serves (no village or "
            f"community within {LOCATE_RADIUS_KM:g} km, and no address_id or address_string "
            "naming one).",
            field="lat",
        )
    return place


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    _limited(request)
    client = _client(request.POST.get("api_key"), required=False)
    code = (request.POST.get("service_code") or "").strip()
    category = selectors.open311_category(code) if code else None
    if code and category is None and client is not None:
        raise Open311Error.unknown_service(code)
    parsed = params.parse_create_request(
        request.POST,
        definition=catalog.definition_for(category) if category is not None else None,
        jurisdiction_required=selectors.jurisdiction_required(),
    )
    assert client is not None  # parse_create_request refuses a missing key (403)
    if category is None:
        raise Open311Error.unknown_service(parsed.service_code)
    within = _unit(parsed.jurisdiction_id)
    place = _locate(within, parsed)
    spec = catalog.spec_for(category)
    name = " ".join(p for p in (parsed.first_name, parsed.last_name) if p)
    case, token = submit_open311_request(
        media_urls=parsed.media_urls,
        client=client,
        category=category,
        place=place,
        description=parsed.description or category.name,
        resident_name=name,
        resident_phone=parsed.phone or "",
        latitude=parsed.lat,
        longitude=parsed.long,
        attributes=parsed.attribute_values,
        batch=spec.type == "batch",
    )
    due = _local(case.resolve_due)
    notice = "Received by the community police."
    if due is not None:
        notice += f" Expected to be resolved by {due.date().isoformat()}."
    reply = (
        wire.CreateReply(token=token.token, service_notice=notice)
        if token is not None
        else wire.CreateReply(
            service_request_id=selectors.request_id(case.number, case.number_unit.code),
            service_notice=notice,
        )
    )
    return _answer(fmt, "create_reply", reply, status=201)


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    request_id = params.parse_identifier(request_id)
    extensions = params.parse_extensions(request.GET)
    within = _unit(_jurisdiction_param(request))
    client = _client(request.GET.get("api_key"), required=False)
    row = selectors.open311_request(request_id, within=within, client=client)
    if row is None:
        raise Open311Error.unknown_request(request_id)
    extras = _extras([row], client, extensions)
    return _answer(fmt, "request", _service_request(request, row, extras))


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    token = params.parse_identifier(token, "token")
    _unit(_jurisdiction_param(request))
    found = selectors.batch_token(token)
    if found is None:
        raise Open311Error.unknown_token(token)
    return _answer(fmt, "tokens", wire.TokenResult(token=found[0], service_request_id=found[1]))


# --- mySociety's request updates -------------------------------------------------------------


@endpoint("GET", "POST")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    required = selectors.jurisdiction_required()
    if request.method == "POST":
        _limited(request)
        client = _client(request.POST.get("api_key"), required=False)
        post = params.parse_update_post(request.POST, jurisdiction_required=required)
        assert client is not None
        within = _unit(post.jurisdiction_id)
        case = selectors.open311_case_for_update(
            post.service_request_id, within=within, client=client
        )
        if case is None:
            raise Open311Error.unknown_request(post.service_request_id)
        entry, _new = add_client_update(
            client=client,
            case=case,
            update_id=post.update_id,
            status=post.status,
            description=post.description,
            updated_datetime=post.updated_datetime,
        )
        return _answer(fmt, "update_reply", wire.UpdateReply(update_id=str(entry.pk)))
    query = params.parse_updates_query(request.GET, jurisdiction_required=required)
    within = _unit(query.jurisdiction_id)
    client = _client(query.api_key, required=False)
    rows = selectors.open311_updates(within=within, client=client, start=query.start, end=query.end)
    updates_out = []
    for row in rows:
        at = _local(row["updated_datetime"])
        assert at is not None
        updates_out.append(
            wire.RequestUpdate(
                update_id=row["update_id"],
                service_request_id=row["service_request_id"],
                status=row["status"],
                updated_datetime=at,
                description=row["description"],
            )
        )
    return _answer(fmt, "updates", updates_out)


# --- Public photos (media_url) ---------------------------------------------------------------


MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


@csrf_exempt
def media(request: HttpRequest, token: str, ext: str) -> HttpResponse:
    """A public photo of a request, as media_url points at it: the metadata-free copy made
    when staff attached the photo as public, served while the photo and its request stay
    public. Anything else is a 404 `errors` document."""
    with translation.override("en"):
        if request.method not in ("GET", "HEAD"):
            response = _error(
                "xml", Open311Error(405, "405", f"{request.method} is not allowed here.")
            )
            response["Allow"] = "GET, HEAD"
            return response
        path = selectors.open311_photo_file(token)
        suffix = ".png" if ext == "png" else ".jpg"
        if path is None or not path.endswith(suffix):
            return _error("xml", Open311Error.unknown_resource("This media"))
        try:
            handle = default_storage.open(path, "rb")
        except (FileNotFoundError, OSError):
            return _error("xml", Open311Error.unknown_resource("This media"))
    response = FileResponse(
        handle, content_type=MEDIA_TYPES[ext], as_attachment=True, filename=f"photo.{ext}"
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under /open311/v2/: a 404 `errors` document (in JSON when the path ends
    in .json, XML otherwise)."""
    fmt = "json" if rest.lower().endswith(".json") else "xml"
    return _error(fmt, Open311Error.unknown_resource("This resource"))
