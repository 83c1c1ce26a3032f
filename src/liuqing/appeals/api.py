"""The appeals API at /api/v1/appeals: list, one appeal, record, correct details, the public
notice, bulk actions, the category tree and the figures.

Each operation parses its input (appeals/schemas.py), calls one selector or service, and
returns a schema; the staff pages call the very same selectors and services. The lifecycle
(accept, assign, resolve, verify, follow-up, reopen) is the case API's (/api/v1/cases/{id}/…):
an appeal's id is its case's id. An appeal in the path outside the caller's jurisdiction is a
404; a unit, category, place or member named in a body or filter that the caller cannot see
is a 422 on that field.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from liuqing.appeals import kpis, selectors, services
from liuqing.appeals.forms import bulk_owners
from liuqing.appeals.schemas import (
    AppealCreateIn,
    AppealDetailOut,
    AppealListQuery,
    AppealOut,
    AppealPatchIn,
    BulkIn,
    BulkItemOut,
    CategoryOut,
    FiguresOut,
    FiguresQuery,
    NoticeIn,
    NoticeOut,
)
from liuqing.appeals.workflow import APPEAL, APPEAL_RESIDENT
from liuqing.casework.models import Case, Category
from liuqing.casework.schemas import CaseOut, EntryOut, FollowUpOut
from liuqing.core import access
from liuqing.core import selectors as core_selectors
from liuqing.core import services as core_services
from liuqing.core.access import VIEW, AccessDenied, NotFound
from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.core.models import Member, Place
from liuqing.core.schemas import ReasonIn, RevealedOut

router = Router(tags=["appeals"])


def _place(actor: Member, pk: int | None, field: str = "place") -> Place | None:
    if pk is None:
        return None
    try:
        return core_selectors.access_place(actor, pk)
    except (NotFound, AccessDenied):
        raise ValidationError({field: _("Choose a place of this unit.")}) from None


def _category(actor: Member, pk: int | None, *, active: bool = False) -> Category | None:
    if pk is None:
        return None
    qs = selectors.categories_visible_to(actor, active=True if active else None)
    found = qs.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"category": _("Choose one of the categories offered.")})
    return found


def _detail(actor: Member, case: Case) -> dict[str, Any]:
    appeal = case.appeal
    data = CaseOut.from_orm(case).dict()
    data.update(
        description=case.description,
        public_code=case.public_code,
        public_summary=case.public_summary,
        public_result=case.public_result,
        place={"id": case.place.pk, "name": case.place.name} if case.place else None,
        latitude=float(case.latitude) if case.latitude is not None else None,
        longitude=float(case.longitude) if case.longitude is not None else None,
        resident={
            "name": str(appeal.resident_name),
            "phone": str(appeal.resident_phone),
            "address": str(appeal.resident_address),
            "anonymous": appeal.anonymous,
        },
        timeline=[EntryOut.from_orm(e).dict() for e in selectors.timeline(case)],
        followups=[FollowUpOut.from_orm(f).dict() for f in case.followups.order_by("pk")],
    )
    return data


def _reload(actor: Member, case: Case) -> dict[str, Any]:
    return _detail(actor, selectors.access_appeal(actor, case.pk))


# --- Appeals ----------------------------------------------------------------------------------


@router.get("", response=list[AppealOut], operation_id="list_appeals", summary="Appeals")
@paginate(Pagination)
def list_appeals(request: HttpRequest, filters: Query[AppealListQuery]) -> QuerySet[Case]:
    """Appeals of your jurisdiction, newest first, with the list page's filters."""
    actor = api_actor(request)
    owner = filters.owner
    return selectors.appeals_visible_to(
        actor,
        selectors.AppealFilters(
            status=filters.status or "",
            category=_category(actor, filters.category),
            unit=unit_in_scope(actor, filters.unit, "unit"),
            place=_place(actor, filters.place),
            channel=filters.channel or "",
            warning=filters.warning or "",
            owner=actor if owner == "me" else None,
            unassigned=owner == "none",
            received_from=filters.received_from,
            received_to=filters.received_to,
            overdue=filters.overdue,
            public=filters.public,
            q=filters.q,
        ),
    )


@router.post(
    "", response={201: AppealDetailOut}, operation_id="create_appeal", summary="Record an appeal"
)
def create_appeal(request: HttpRequest, payload: AppealCreateIn) -> dict[str, Any]:
    """Record a resident's appeal at `unit`. 422 with field errors for an unknown or retired
    category, a missing location where the category needs one, a description over 4,000
    characters or an invalid phone number; nothing is written then."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, payload.unit, "unit")
    assert unit is not None
    received_at = payload.received_at
    if received_at is not None and timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    case = services.submit_appeal(
        actor=actor,
        unit=unit,
        category=_category(actor, payload.category, active=True),  # type: ignore[arg-type]
        title=payload.title,
        description=payload.description,
        channel=payload.channel,
        place=_place(actor, payload.place),
        resident_name=payload.resident_name,
        resident_phone=payload.resident_phone,
        resident_address=payload.resident_address,
        anonymous=payload.anonymous,
        latitude=payload.latitude,
        longitude=payload.longitude,
        received_at=received_at,
    )
    return _reload(actor, case)


@router.get("/figures", response=FiguresOut, operation_id="appeal_figures", summary="Figures")
def appeal_figures(request: HttpRequest, params: Query[FiguresQuery]) -> dict[str, Any]:
    """The appeals figures of KPIS.md for a unit's subtree (default yours) and a period
    (default this month), as of now: every rate with numerator and denominator, and its
    year-on-year and period-on-period change (null when undefined)."""
    actor = api_actor(request)
    if not access.can(actor, APPEAL, VIEW):
        raise AccessDenied
    unit = unit_in_scope(actor, params.unit, "unit") or core_selectors.access_unit(
        actor, actor.unit_id
    )
    if params.period:
        try:
            period = kpis.parse_period(params.period)
        except ValueError:
            raise ValidationError(
                {"period": _("A period such as 2025, 2025-06, 2025-Q2 or 2025-H1.")}
            ) from None
    else:
        period = kpis.standard_periods(timezone.localdate())[0]
    cut = kpis.Cut(unit=unit, category=_category(actor, params.category))
    return kpis.as_dict(kpis.report(actor, cut, [period]))


@router.get(
    "/categories",
    response=list[CategoryOut],
    operation_id="list_appeal_categories",
    summary="Appeal categories",
)
def list_appeal_categories(request: HttpRequest) -> list[Category]:
    """The category tree, each top category followed by its sub-categories."""
    return selectors.category_rows(selectors.categories_visible_to(api_actor(request)))


@router.post(
    "/bulk", response=list[BulkItemOut], operation_id="bulk_appeals", summary="Bulk action"
)
def bulk_appeals(request: HttpRequest, payload: BulkIn) -> list[dict[str, Any]]:
    """A supervisor's action on many appeals: assign to `owner`, or one workflow action.
    Each appeal succeeds or fails on its own; ids outside your jurisdiction are reported."""
    actor = api_actor(request)
    ids = list(dict.fromkeys(payload.ids))
    cases = selectors.appeals_by_ids(actor, ids)
    if payload.action == "assign":
        owner = bulk_owners(actor).filter(pk=payload.owner).first() if payload.owner else None
        if owner is None:
            raise ValidationError(
                {"owner": _("Choose an active handler of your unit or a unit below it.")}
            )
        outcomes = services.bulk_assign(actor=actor, cases=cases, owner=owner)
    else:
        outcomes = services.bulk_act(
            actor=actor, cases=cases, action=payload.action, note=payload.note
        )
    by_id = {o.case.pk: o for o in outcomes}
    result = []
    for pk in ids:
        outcome = by_id.get(pk)
        if outcome is None:
            result.append(
                {
                    "id": pk,
                    "number": None,
                    "ok": False,
                    "message": _("There is no such appeal in your jurisdiction."),
                }
            )
        else:
            result.append(
                {
                    "id": pk,
                    "number": outcome.case.number,
                    "ok": outcome.ok,
                    "message": outcome.message,
                }
            )
    return result


@router.get("/{pk}", response=AppealDetailOut, operation_id="get_appeal", summary="One appeal")
def get_appeal(request: HttpRequest, pk: int) -> dict[str, Any]:
    """The appeal with its clocks, masked resident, timeline and follow-ups."""
    actor = api_actor(request)
    return _detail(actor, selectors.access_appeal(actor, pk))


@router.patch(
    "/{pk}", response=AppealDetailOut, operation_id="update_appeal", summary="Correct details"
)
def update_appeal(request: HttpRequest, pk: int, payload: AppealPatchIn) -> dict[str, Any]:
    """Correct what was recorded while the appeal is open (only the fields sent change)."""
    actor = api_actor(request)
    case = selectors.access_appeal(actor, pk, for_write=True)
    sent = payload.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if v is not None or k in payload.NULLABLE}
    if "category" in changes:
        changes["category"] = _category(actor, changes["category"], active=True)
    if "place" in changes:
        changes["place"] = _place(actor, changes["place"])
    services.update_appeal_details(actor=actor, case=case, **changes)
    return _reload(actor, case)


@router.put(
    "/{pk}/public-notice",
    response=NoticeOut,
    operation_id="set_appeal_public_notice",
    summary="Approve the public notice",
)
def set_appeal_public_notice(request: HttpRequest, pk: int, payload: NoticeIn) -> Case:
    """The summary and result the notice board shows, stored redacted; the owner or a
    supervisor approves."""
    actor = api_actor(request)
    case = selectors.access_appeal(actor, pk, for_write=True)
    return services.set_public_notice(
        actor=actor, case=case, summary=payload.summary, result=payload.result, show=payload.show
    )


@router.post(
    "/{pk}/reveal-phone",
    response=RevealedOut,
    operation_id="reveal_appeal_phone",
    summary="Reveal the resident's phone",
)
def reveal_appeal_phone(request: HttpRequest, pk: int, payload: ReasonIn) -> dict[str, str]:
    """The resident's full number, given a reason (at least 4 characters); audited."""
    actor = api_actor(request)
    case = selectors.access_appeal(actor, pk)
    phone = core_services.reveal_personal_data(
        actor=actor,
        obj=case.appeal,
        kind=APPEAL_RESIDENT,
        field="resident_phone",
        reason=payload.reason,
    )
    return {"phone": phone}
