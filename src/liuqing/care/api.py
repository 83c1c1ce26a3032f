"""The care API at /api/v1/care: recipients (list, register, one), the reveal of a protected
field with a reason, services given, and needs raised as appeals.

Without the care grant the list is empty and one recipient is a 404 (audited); a unit,
place, category or visit named in a body that the caller cannot see is a 422 on that field."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from liuqing.appeals import selectors as appeal_selectors
from liuqing.care import selectors, services
from liuqing.care.models import Need, Recipient, Service
from liuqing.care.schemas import (
    NeedIn,
    NeedOut,
    RecipientIn,
    RecipientListQuery,
    RecipientOut,
    RecipientPatch,
    RevealIn,
    RevealOut,
    ServiceIn,
    ServiceOut,
    TakeOffIn,
)
from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.api import Pagination, api_actor, place_in_scope, unit_in_scope
from liuqing.core.models import Member
from liuqing.visits import selectors as visit_selectors
from liuqing.visits.models import Visit

router = Router(tags=["care"])


@router.get(
    "/recipients",
    response=list[RecipientOut],
    operation_id="list_care_recipients",
    summary="Care register",
)
@paginate(Pagination)
def list_care_recipients(
    request: HttpRequest, filters: Query[RecipientListQuery]
) -> QuerySet[Recipient]:
    actor = api_actor(request)
    unit = None
    if filters.unit is not None:
        unit = unit_in_scope(actor, filters.unit, "unit")
    return selectors.recipients_visible_to(
        actor, selectors.RecipientFilters(category=filters.category, unit=unit)
    )


@router.post(
    "/recipients",
    response={201: RecipientOut},
    operation_id="register_care_recipient",
    summary="Register a person",
)
def register_care_recipient(request: HttpRequest, payload: RecipientIn) -> Recipient:
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit_id, "unit_id")
    place = place_in_scope(actor, payload.place_id, "place_id")
    data = payload.model_dump(exclude={"unit_id", "place_id"})
    return services.register_recipient(actor=actor, unit=unit, place=place, **data)


@router.get(
    "/recipients/{pk}",
    response=RecipientOut,
    operation_id="get_care_recipient",
    summary="One person",
)
def get_care_recipient(request: HttpRequest, pk: int) -> Recipient:
    actor = api_actor(request)
    recipient = selectors.access_recipient(actor, pk)
    services.record_view(actor=actor, recipient=recipient)
    return recipient


@router.patch(
    "/recipients/{pk}",
    response=RecipientOut,
    operation_id="update_care_recipient",
    summary="Correct a record",
)
def update_care_recipient(request: HttpRequest, pk: int, payload: RecipientPatch) -> Recipient:
    """Only the fields sent change; the names of the fields changed are audited, never
    their values."""
    actor = api_actor(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    changes = payload.model_dump(exclude_unset=True)
    if "place_id" in changes:
        changes["place"] = place_in_scope(actor, changes.pop("place_id"), "place_id")
    return services.update_recipient(actor=actor, recipient=recipient, **changes)


@router.post(
    "/recipients/{pk}/reveal",
    response=RevealOut,
    operation_id="reveal_care_recipient",
    summary="Reveal a field",
)
def reveal_care_recipient(request: HttpRequest, pk: int, payload: RevealIn) -> dict[str, Any]:
    """One protected field in full, with your reason; the reveal is audited."""
    actor = api_actor(request)
    recipient = selectors.access_recipient(actor, pk)
    value = services.reveal(
        actor=actor, recipient=recipient, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


@router.post(
    "/recipients/{pk}/take-off",
    response=RecipientOut,
    operation_id="take_care_recipient_off",
    summary="Take off the register",
)
def take_care_recipient_off(request: HttpRequest, pk: int, payload: TakeOffIn) -> Recipient:
    """Consent withdrawn, moved away or no longer in need: the person leaves the lists and
    the figures, their visit plans end today; the reason is audited."""
    actor = api_actor(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    return services.take_off_register(actor=actor, recipient=recipient, reason=payload.reason)


def _visit(actor: Member, pk: int | None) -> Visit | None:
    if pk is None:
        return None
    found = Visit.objects.select_related("plan__unit").filter(pk=pk).first()
    if found is None:
        raise ValidationError({"visit_id": _("There is no such visit.")})
    try:
        visit_selectors.access_plan(actor, found.plan_id)
    except (NotFound, AccessDenied):
        raise ValidationError({"visit_id": _("There is no such visit.")}) from None
    return found


@router.post(
    "/recipients/{pk}/services",
    response={201: ServiceOut},
    operation_id="record_care_service",
    summary="Record a service",
)
def record_care_service(request: HttpRequest, pk: int, payload: ServiceIn) -> Service:
    actor = api_actor(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    return services.record_service(
        actor=actor,
        recipient=recipient,
        kind=payload.kind,
        given_on=payload.given_on,
        note=payload.note,
        visit=_visit(actor, payload.visit_id),
    )


@router.post(
    "/recipients/{pk}/needs",
    response={201: NeedOut},
    operation_id="raise_care_need",
    summary="Raise a need as an appeal",
)
def raise_care_need(request: HttpRequest, pk: int, payload: NeedIn) -> Need:
    actor = api_actor(request)
    recipient = selectors.access_recipient(actor, pk, for_write=True)
    category = appeal_selectors.category_choices(actor).filter(pk=payload.category_id).first()
    if category is None:
        raise ValidationError({"category_id": _("Choose one of the categories offered.")})
    return services.raise_need(
        actor=actor,
        recipient=recipient,
        category=category,
        description=payload.description,
        visit=_visit(actor, payload.visit_id),
    )
