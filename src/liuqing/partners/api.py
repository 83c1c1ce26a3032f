"""The partners API at /api/v1/partners: the registry, groups, and alerts from draft to
resolution (the same services as the staff pages). Bad input is a 422 with field errors and
nothing written; an alert, group or unit outside the caller's jurisdiction is a 404."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.core.models import Member, Place, Unit
from liuqing.notify.models import Endpoint
from liuqing.partners import selectors, services
from liuqing.partners.models import Alert, Partner, PartnerGroup
from liuqing.partners.pp_api import router as pp_router

router = Router(tags=["partners"])


class PartnerOut(Schema):
    id: int
    display_name: str
    kind: str
    status: str
    unit: int = Field(..., alias="unit_id")
    language: str
    channels: str
    created_at: dt.datetime
    # When the personal data becomes due for erasure (retention); null while the partner is
    # in a group, and once erased (then `purged_at`). Annotated by the selector.
    erase_after: dt.datetime | None
    purged_at: dt.datetime | None


class GroupOut(Schema):
    id: int
    name: str
    description: str
    unit: int = Field(..., alias="unit_id")
    invite_code: str
    is_active: bool


class GroupIn(Schema):
    unit: int
    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=1000)


class EndpointOut(Schema):
    """A group bot or webhook as shown back: never its secret (only whether one is set and
    when it was last set), and its address with the query's values hidden."""

    id: int
    channel: str
    name: str
    url: str
    is_active: bool
    secret_set: bool
    secret_rotated_at: dt.datetime | None

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return selectors.masked_url(obj.url)

    @staticmethod
    def resolve_secret_set(obj: Any) -> bool:
        return bool(obj.secret)


class EndpointIn(Schema):
    channel: str = Field(..., max_length=16)
    name: str = Field(..., max_length=200)
    url: str = Field(..., max_length=1000)
    secret: str = Field("", max_length=1000)


class EndpointPatchIn(Schema):
    name: str | None = Field(None, max_length=200)
    url: str = Field("", max_length=1000)
    is_active: bool | None = None


class SecretIn(Schema):
    secret: str = Field(..., max_length=1000)


class TextIn(Schema):
    headline: str = Field("", max_length=500)
    description: str = Field("", max_length=5000)
    instruction: str = Field("", max_length=5000)


class AlertIn(Schema):
    unit: int
    kind: str = Field(..., max_length=32)
    scope: str = Field("Restricted", max_length=16)
    expires_at: dt.datetime | None = None
    texts: dict[str, TextIn] = Field(default_factory=dict)
    groups: list[int] = Field(default_factory=list, max_length=200)
    places: list[int] = Field(default_factory=list, max_length=500)
    circle: str = Field("", max_length=100)
    polygon: str = Field("", max_length=20000)
    # Around each target place without a boundary (km); null: PARTNERS_PLACE_RADIUS_KM.
    place_radius_km: float | None = None
    severity: str = Field("", max_length=16)
    urgency: str = Field("", max_length=16)
    certainty: str = Field("", max_length=16)
    note: str = Field("", max_length=300)


class NoteIn(Schema):
    note: str = Field("", max_length=1000)


class TextOut(Schema):
    language: str
    headline: str
    description: str
    instruction: str


class VersionOut(Schema):
    number: int
    msg_type: str
    identifier: str
    sent: dt.datetime
    recipients: int
    # The public CAP message's URL; null when the version has none (a restricted alert).
    cap_url: str | None


class CountsOut(Schema):
    pending: int
    sent: int
    dead: int
    skipped: int


class AlertOut(Schema):
    id: int
    unit: int = Field(..., alias="unit_id")
    kind: str
    status: str
    scope: str
    severity: str
    urgency: str
    certainty: str
    expires_at: dt.datetime
    issued_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str
    polygon: str
    circle_lat: float | None
    circle_lon: float | None
    radius_km: float | None
    place_radius_km: float | None
    texts: list[TextOut]


class AlertDetailOut(AlertOut):
    versions: list[VersionOut]
    deliveries: CountsOut
    resolution_hours: float | None


class RedriveOut(Schema):
    requeued: int


class PartnerQuery(Schema):
    status: str = Field("", max_length=16)


def _input(actor: Member, unit: Unit, payload: AlertIn) -> services.AlertInput:
    groups = list(selectors.groups_for_unit(unit).filter(pk__in=payload.groups))
    places = list(Place.objects.filter(pk__in=payload.places, is_active=True))
    errors: dict[str, list[str]] = {}
    if len(groups) != len(set(payload.groups)):
        errors["groups"] = [_("Choose groups of the alert's unit.")]
    if len(places) != len(set(payload.places)):
        errors["places"] = [_("Choose places of the alert's unit.")]
    if errors:
        raise ValidationError(errors)
    return services.AlertInput(
        kind=payload.kind,
        scope=payload.scope,
        expires_at=payload.expires_at,
        texts={k: (t.headline, t.description, t.instruction) for k, t in payload.texts.items()},
        groups=groups,
        places=places,
        circle=payload.circle,
        polygon=payload.polygon,
        severity=payload.severity,
        urgency=payload.urgency,
        certainty=payload.certainty,
        place_radius_km=payload.place_radius_km,
    )


def _detail(alert: Alert) -> dict[str, Any]:
    counts = selectors.delivery_counts(alert)
    took = selectors.time_to_resolution(alert)
    return {
        **{f: getattr(alert, f) for f in AlertOut.model_fields if f not in ("unit", "texts")},
        "unit_id": alert.unit_id,
        "texts": list(alert.texts.all()),
        "versions": [
            {
                "number": v.number,
                "msg_type": v.msg_type,
                "identifier": v.identifier,
                "sent": v.sent,
                "recipients": v.recipients,
                "cap_url": services.public_cap_url(alert, v.identifier),
            }
            for v in alert.versions.order_by("number")
        ],
        "deliveries": {
            "pending": counts.pending,
            "sent": counts.sent,
            "dead": counts.dead,
            "skipped": counts.skipped,
        },
        "resolution_hours": took.total_seconds() / 3600 if took is not None else None,
    }


@router.get(
    "/partners", response=list[PartnerOut], operation_id="list_partners", summary="Safety partners"
)
@paginate(Pagination)
def list_partners(request: HttpRequest, filters: Query[PartnerQuery]) -> QuerySet[Partner]:
    return selectors.partners_visible_to(api_actor(request), status=filters.status)


@router.get(
    "/groups", response=list[GroupOut], operation_id="list_partner_groups", summary="Partner groups"
)
@paginate(Pagination)
def list_groups(request: HttpRequest) -> QuerySet[PartnerGroup]:
    return selectors.groups_visible_to(api_actor(request))


@router.post(
    "/groups",
    response={201: GroupOut},
    operation_id="create_partner_group",
    summary="Create a partner group",
)
def create_group(request: HttpRequest, payload: GroupIn) -> Any:
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit)
    return 201, services.create_group(
        actor=actor, unit=unit, name=payload.name, description=payload.description
    )


def _endpoint_for_write(
    request: HttpRequest, pk: int, eid: int
) -> tuple[Member, PartnerGroup, Endpoint]:
    actor = api_actor(request)
    group = selectors.access_group(actor, pk, for_write=True)
    return actor, group, selectors.group_endpoint(group, eid)


@router.get(
    "/groups/{pk}/endpoints",
    response=list[EndpointOut],
    operation_id="list_group_endpoints",
    summary="A group's bots and webhooks",
)
def list_group_endpoints(request: HttpRequest, pk: int) -> Any:
    return list(selectors.group_endpoints(selectors.access_group(api_actor(request), pk)))


@router.post(
    "/groups/{pk}/endpoints",
    response={201: EndpointOut},
    operation_id="create_group_endpoint",
    summary="Connect a bot or webhook to a group",
)
def create_group_endpoint(request: HttpRequest, pk: int, payload: EndpointIn) -> Any:
    actor = api_actor(request)
    group = selectors.access_group(actor, pk, for_write=True)
    return 201, services.add_group_endpoint(actor=actor, group=group, **payload.dict())


@router.patch(
    "/groups/{pk}/endpoints/{eid}",
    response=EndpointOut,
    operation_id="update_group_endpoint",
    summary="Rename, readdress, disable or enable a group's bot or webhook",
)
def update_group_endpoint(request: HttpRequest, pk: int, eid: int, payload: EndpointPatchIn) -> Any:
    actor, group, endpoint = _endpoint_for_write(request, pk, eid)
    return services.edit_group_endpoint(
        actor=actor,
        group=group,
        endpoint=endpoint,
        name=endpoint.name if payload.name is None else payload.name,
        url=payload.url,
        is_active=endpoint.is_active if payload.is_active is None else payload.is_active,
    )


@router.post(
    "/groups/{pk}/endpoints/{eid}/secret",
    response=EndpointOut,
    operation_id="rotate_group_endpoint_secret",
    summary="Set a new signing secret (never shown back)",
)
def rotate_group_endpoint_secret(request: HttpRequest, pk: int, eid: int, payload: SecretIn) -> Any:
    actor, group, endpoint = _endpoint_for_write(request, pk, eid)
    return services.rotate_endpoint_secret(
        actor=actor, group=group, endpoint=endpoint, secret=payload.secret
    )


@router.get("/alerts", response=list[AlertOut], operation_id="list_alerts", summary="Alerts")
@paginate(Pagination)
def list_alerts(request: HttpRequest) -> QuerySet[Alert]:
    return selectors.alerts_visible_to(api_actor(request))


@router.post(
    "/alerts", response={201: AlertDetailOut}, operation_id="create_alert", summary="Draft an alert"
)
def create_alert(request: HttpRequest, payload: AlertIn) -> Any:
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit)
    alert = services.save_alert(actor=actor, unit=unit, data=_input(actor, unit, payload))
    return 201, _detail(alert)


@router.get("/alerts/{pk}", response=AlertDetailOut, operation_id="get_alert", summary="One alert")
def get_alert(request: HttpRequest, pk: int) -> Any:
    return _detail(selectors.access_alert(api_actor(request), pk))


@router.post(
    "/alerts/{pk}/issue",
    response=AlertDetailOut,
    operation_id="issue_alert",
    summary="Issue an alert (or submit it for approval)",
)
def issue_alert(request: HttpRequest, pk: int) -> Any:
    actor = api_actor(request)
    alert = selectors.access_alert(actor, pk, for_write=True)
    return _detail(services.issue_alert(actor=actor, alert=alert))


@router.post(
    "/alerts/{pk}/update",
    response=AlertDetailOut,
    operation_id="update_alert",
    summary="Issue an update",
)
def update_alert(request: HttpRequest, pk: int, payload: AlertIn) -> Any:
    actor = api_actor(request)
    alert = selectors.access_alert(actor, pk, for_write=True)
    data = _input(actor, alert.unit, payload)
    return _detail(services.update_alert(actor=actor, alert=alert, data=data, note=payload.note))


@router.post(
    "/alerts/{pk}/cancel",
    response=AlertDetailOut,
    operation_id="cancel_alert",
    summary="Cancel an alert",
)
def cancel_alert(request: HttpRequest, pk: int, payload: NoteIn) -> Any:
    actor = api_actor(request)
    alert = selectors.access_alert(actor, pk, for_write=True)
    return _detail(services.cancel_alert(actor=actor, alert=alert, note=payload.note))


@router.post(
    "/alerts/{pk}/resolve",
    response=AlertDetailOut,
    operation_id="resolve_alert",
    summary="Resolve an alert",
)
def resolve_alert(request: HttpRequest, pk: int, payload: NoteIn) -> Any:
    actor = api_actor(request)
    alert = selectors.access_alert(actor, pk, for_write=True)
    return _detail(services.resolve_alert(actor=actor, alert=alert, note=payload.note))


@router.post(
    "/alerts/{pk}/redrive",
    response=RedriveOut,
    operation_id="redrive_alert",
    summary="Queue the alert's failed deliveries again",
)
def redrive_alert(request: HttpRequest, pk: int) -> Any:
    actor = api_actor(request)
    alert = selectors.access_alert(actor, pk, for_write=True)
    return {"requeued": services.redrive_alert(actor=actor, alert=alert)}


# The partners' own operations (/api/v1/partners/pp/…), with their own authentication.
router.add_router("/pp", pp_router)
