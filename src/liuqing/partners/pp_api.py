"""The partners' own JSON API at /api/v1/partners/pp: what the mobile pages (/pp/) do, for an
app. The same services and selectors as the pages.

Partners are not staff. They sign in as on the pages: `POST /pp/code` sends a one-time code
through their channel (the answer never says whether the number is registered; a number
that asked three times in ten minutes silently gets no more), `POST /pp/session` checks it
and returns a session token (a `PartnerSession`, like the pages' cookie). Every other
operation takes that token as ``Authorization: Bearer <token>`` (`PartnerAuth`). Staff tokens
and sessions mean nothing here, and a partner's token means nothing on staff operations: a
partner sees the alerts sent to them and what they reported, nothing else (anything else is
a 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.pagination import paginate
from ninja.security import HttpBearer

from liuqing.core.api import Pagination
from liuqing.partners import selectors, services
from liuqing.partners.models import Alert, Partner, PartnerStatus, Reply


class PartnerAuth(HttpBearer):
    """A partner's session token as a bearer token; the partner is `request.auth`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return services.partner_for_token(token)


router = Router(tags=["partner self-service"], auth=PartnerAuth())


def me(request: HttpRequest) -> Partner:
    partner = request.auth  # type: ignore[attr-defined]
    assert isinstance(partner, Partner)
    return partner


# --- Schemas -------------------------------------------------------------------------------------


class PhoneIn(Schema):
    phone: str = Field(..., max_length=30)


class CodeIn(Schema):
    phone: str = Field(..., max_length=30)
    code: str = Field(..., max_length=12)


class SentOut(Schema):
    detail: str


class GroupOut(Schema):
    id: int
    name: str
    joined_at: dt.datetime


class MeOut(Schema):
    id: int
    display_name: str
    kind: str
    status: str
    language: str
    channels: list[str]
    groups: list[GroupOut]


class SessionOut(Schema):
    token: str
    expires_at: dt.datetime
    partner: MeOut


class ReplyOut(Schema):
    id: int
    kind: str
    alert: int | None = Field(None, alias="alert_id")
    text: str
    latitude: float | None
    longitude: float | None
    has_photo: bool
    case_code: str
    created_at: dt.datetime

    @staticmethod
    def resolve_has_photo(obj: Reply) -> bool:
        return bool(obj.photo)


class PartnerAlertOut(Schema):
    id: int
    kind: str
    status: str
    severity: str
    urgency: str
    issued_at: dt.datetime | None
    expires_at: dt.datetime
    closed_at: dt.datetime | None
    language: str
    headline: str
    description: str
    instruction: str
    acknowledged: bool


class PartnerAlertDetailOut(PartnerAlertOut):
    resolution: str
    my_sightings: list[ReplyOut]


class InviteIn(Schema):
    invite_code: str = Field(..., max_length=32)


class TipIn(Schema):
    category: int | None = None
    place: int | None = None
    text: str = Field("", max_length=4000)
    latitude: float | None = None
    longitude: float | None = None


class CategoryOut(Schema):
    id: int
    name: str
    group: str
    needs_location: bool


class PlaceOut(Schema):
    id: int
    name: str


class TipOptionsOut(Schema):
    categories: list[CategoryOut]
    places: list[PlaceOut]


def _me(partner: Partner) -> dict[str, Any]:
    return {
        "id": partner.pk,
        "display_name": partner.display_name,
        "kind": partner.kind,
        "status": partner.status,
        "language": partner.language,
        "channels": partner.channel_list,
        "groups": [
            {"id": m.group_id, "name": m.group.name, "joined_at": m.joined_at}
            for m in selectors.memberships_of(partner)
        ],
    }


def _alert(
    partner: Partner, alert: Alert, *, acked: bool | None = None, detail: bool = False
) -> dict[str, Any]:
    """An alert as the partner sees it (`acked`: known already, else looked up)."""
    text = selectors.text_for(alert, partner.language)
    out: dict[str, Any] = {
        **{
            f: getattr(alert, f)
            for f in (
                "id",
                "kind",
                "status",
                "severity",
                "urgency",
                "issued_at",
                "expires_at",
                "closed_at",
            )
        },
        "language": text.language if text else "",
        "headline": text.headline if text else "",
        "description": text.description if text else "",
        "instruction": text.instruction if text else "",
        "acknowledged": selectors.acknowledged(partner, alert) if acked is None else acked,
    }
    if detail:
        out["resolution"] = alert.resolution
        out["my_sightings"] = list(selectors.sightings_by(partner, alert))
    return out


# --- Signing in ----------------------------------------------------------------------------------


@router.post(
    "/code",
    auth=None,
    response={202: SentOut},
    operation_id="pp_request_code",
    summary="Ask for a sign-in code",
)
def request_code(request: HttpRequest, payload: PhoneIn) -> Any:
    """Sends a six-digit code through the partner's channel, valid ten minutes. The answer is
    the same for any number (registered or not, over the limit or not)."""
    services.request_sign_in_code(phone=payload.phone)
    return 202, {"detail": _("If this number is registered, a sign-in code is on its way.")}


@router.post(
    "/session",
    auth=None,
    response=SessionOut,
    operation_id="pp_sign_in",
    summary="Sign in with the code",
)
def sign_in(request: HttpRequest, payload: CodeIn) -> Any:
    """A wrong, expired or used code is a 422 on ``code`` (five wrong tries spend it)."""
    partner, token = services.sign_in(phone=payload.phone, code=payload.code)
    return {
        "token": token,
        "expires_at": services.session_expiry(token),
        "partner": _me(partner),
    }


@router.delete("/session", response={204: None}, operation_id="pp_sign_out", summary="Sign out")
def sign_out(request: HttpRequest) -> Any:
    services.sign_out(token=request.headers.get("Authorization", "").partition(" ")[2].strip())
    return 204, None


@router.get("/me", response=MeOut, operation_id="pp_me", summary="My registration and groups")
def get_me(request: HttpRequest) -> Any:
    return _me(me(request))


# --- Alerts sent to me ---------------------------------------------------------------------------


@router.get(
    "/alerts",
    response=list[PartnerAlertOut],
    operation_id="pp_list_alerts",
    summary="Alerts sent to me",
)
def list_alerts(request: HttpRequest) -> Any:
    """The alerts that reached the partner (any channel), newest first, at most 100."""
    partner = me(request)
    acked = selectors.acknowledged_ids(partner)
    return [_alert(partner, a, acked=a.pk in acked) for a in selectors.alerts_for_partner(partner)]


@router.get(
    "/alerts/{pk}",
    response=PartnerAlertDetailOut,
    operation_id="pp_get_alert",
    summary="One alert sent to me",
)
def get_alert(request: HttpRequest, pk: int) -> Any:
    partner = me(request)
    return _alert(partner, selectors.access_partner_alert(partner, pk), detail=True)


@router.post(
    "/alerts/{pk}/ack",
    response=PartnerAlertDetailOut,
    operation_id="pp_acknowledge_alert",
    summary="I saw this alert",
)
def acknowledge(request: HttpRequest, pk: int) -> Any:
    partner = me(request)
    alert = selectors.access_partner_alert(partner, pk)
    services.acknowledge(partner=partner, alert=alert)
    return _alert(partner, alert, acked=True, detail=True)


@router.post(
    "/alerts/{pk}/sightings",
    response={201: ReplyOut},
    operation_id="pp_report_sighting",
    summary="Report a sighting (multipart: text, latitude, longitude, photo)",
)
def report_sighting(
    request: HttpRequest,
    pk: int,
    text: Form[str] = "",
    latitude: Form[str] = "",
    longitude: Form[str] = "",
    photo: File[UploadedFile | None] = None,
) -> Any:
    """Text is required; the location is both coordinates or neither; the photo (optional)
    is a JPEG or PNG of at most 5 MB, checked by its content and stored under a random name."""
    partner = me(request)
    alert = selectors.access_partner_alert(partner, pk)
    return 201, services.report_sighting(
        partner=partner,
        alert=alert,
        text=text,
        latitude=latitude,
        longitude=longitude,
        photo=photo,
    )


# --- Tips, groups, status ------------------------------------------------------------------------


@router.get(
    "/tips/options",
    response=TipOptionsOut,
    operation_id="pp_tip_options",
    summary="Categories and places a tip may name",
)
def tip_options(request: HttpRequest) -> Any:
    from liuqing.appeals.public_selectors import public_categories

    partner = me(request)
    return {
        "categories": [
            {
                "id": c["pk"],
                "name": c["name"],
                "group": c["group"],
                "needs_location": c["needs_location"],
            }
            for c in public_categories()
        ],
        "places": [{"id": p.pk, "name": p.name} for p in selectors.tip_places(partner)[:500]],
    }


@router.post(
    "/tips",
    response={201: ReplyOut},
    operation_id="pp_send_tip",
    summary="Send a tip outside any alert (it becomes a request)",
)
def send_tip(request: HttpRequest, payload: TipIn) -> Any:
    """The tip becomes a resident's request through the appeals service (its tracking code
    is the reply's ``case_code``); errors are on the same fields as the page's."""
    return 201, services.send_tip(
        partner=me(request),
        category=payload.category,
        place=payload.place,
        text=payload.text,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )


@router.get(
    "/reports",
    response=list[ReplyOut],
    operation_id="pp_list_reports",
    summary="What I reported (sightings and tips)",
)
@paginate(Pagination)
def list_reports(request: HttpRequest) -> QuerySet[Reply]:
    return selectors.replies_of(me(request))


@router.post(
    "/groups/join",
    response={201: GroupOut},
    operation_id="pp_join_group",
    summary="Join a group by its invite code",
)
def join_group(request: HttpRequest, payload: InviteIn) -> Any:
    partner = me(request)
    group = services.join_with_code(partner=partner, invite_code=payload.invite_code)
    membership = selectors.memberships_of(partner).get(group=group)
    return 201, {"id": group.pk, "name": group.name, "joined_at": membership.joined_at}


@router.post(
    "/groups/{pk}/leave",
    response={204: None},
    operation_id="pp_leave_group",
    summary="Leave one of my groups",
)
def leave_group(request: HttpRequest, pk: int) -> Any:
    partner = me(request)
    services.leave_group(partner=partner, group=selectors.partner_group(partner, pk))
    return 204, None


def _set_status(request: HttpRequest, status: str) -> Any:
    partner = services.set_partner_status(partner=me(request), status=status)
    return _me(partner)


@router.post("/pause", response=MeOut, operation_id="pp_pause", summary="Pause my alerts")
def pause(request: HttpRequest) -> Any:
    """No alerts until resumed; those queued and not yet sent are withdrawn."""
    return _set_status(request, PartnerStatus.PAUSED)


@router.post("/resume", response=MeOut, operation_id="pp_resume", summary="Resume my alerts")
def resume(request: HttpRequest) -> Any:
    return _set_status(request, PartnerStatus.ACTIVE)


@router.post(
    "/leave",
    response={204: None},
    operation_id="pp_leave",
    summary="Stop being a partner (erases my phone number and e-mail address)",
)
def leave(request: HttpRequest) -> Any:
    """Ends every membership and session (this token too)."""
    services.set_partner_status(partner=me(request), status=PartnerStatus.LEFT)
    return 204, None
