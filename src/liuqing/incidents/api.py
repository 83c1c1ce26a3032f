"""The incidents API at /api/v1/incidents: push a batch (the same validation and idempotent
write as the file import), the list with the ledger page's filters, one incident.

A unit or category named in a filter that the caller cannot see is a 422 on that field; an
incident outside the caller's jurisdiction is a 404."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from liuqing.core import access
from liuqing.core.access import AccessDenied
from liuqing.core.api import Pagination, api_actor, unit_in_scope
from liuqing.incidents import selectors, services
from liuqing.incidents.models import Incident, IncidentCategory
from liuqing.incidents.policies import INCIDENT_CATEGORY_SET
from liuqing.incidents.schemas import (
    CategoryAddIn,
    CategoryChangeIn,
    CategoryOut,
    IncidentListQuery,
    IncidentOut,
    IncidentPushIn,
    IncidentPushOut,
)

router = Router(tags=["incidents"])


@router.get("", response=list[IncidentOut], operation_id="list_incidents", summary="Incidents")
@paginate(Pagination)
def list_incidents(request: HttpRequest, filters: Query[IncidentListQuery]) -> QuerySet[Incident]:
    """Incidents of your jurisdiction, newest first."""
    actor = api_actor(request)
    unit = unit_in_scope(actor, filters.unit)
    category = None
    if filters.category is not None:
        category = selectors.categories(active=None).filter(pk=filters.category).first()
        if category is None:
            raise ValidationError({"category": _("Choose one of the categories offered.")})
    return selectors.incidents_visible_to(
        actor,
        selectors.IncidentFilters(
            category=category,
            unit=unit,
            occurred_from=filters.occurred_from,
            occurred_to=filters.occurred_to,
        ),
    )


@router.get(
    "/categories",
    response=list[CategoryOut],
    operation_id="list_incident_categories",
    summary="Incident categories",
)
def list_categories(request: HttpRequest) -> list[IncidentCategory]:
    """Every category, active or disabled, in their order; names in the caller's language."""
    return list(selectors.category_set_visible_to(api_actor(request)))


@router.post(
    "/categories",
    response={201: CategoryOut},
    operation_id="add_incident_category",
    summary="Add an incident category",
)
def add_category(request: HttpRequest, payload: CategoryAddIn) -> Status[IncidentCategory]:
    """Administrators (detachment staff, system administrator) add a category."""
    category = services.add_category(
        actor=api_actor(request), code=payload.code, name=payload.name, order=payload.order
    )
    return Status(201, category)


@router.patch(
    "/categories",
    response=CategoryOut,
    operation_id="change_incident_category",
    summary="Rename, reorder, disable or enable an incident category",
)
def change_category(request: HttpRequest, payload: CategoryChangeIn) -> IncidentCategory:
    """The category named by `code`; the fields left out keep their values."""
    actor = api_actor(request)
    if not access.can(actor, INCIDENT_CATEGORY_SET, access.CHANGE):
        raise AccessDenied
    category = selectors.categories(active=None).filter(code=payload.code).first()
    if category is None:
        raise ValidationError({"code": _("Choose one of the categories offered.")})
    return services.change_category(
        actor=actor,
        category=category,
        name=category.name if payload.name is None else payload.name,
        order=category.order if payload.order is None else payload.order,
        is_active=category.is_active if payload.active is None else payload.active,
    )


@router.get("/{pk}", response=IncidentOut, operation_id="get_incident", summary="One incident")
def get_incident(request: HttpRequest, pk: int) -> Incident:
    return selectors.access_incident(api_actor(request), pk)


@router.post(
    "",
    response=IncidentPushOut,
    operation_id="push_incidents",
    summary="Push a batch of incidents",
)
def push_incidents(request: HttpRequest, payload: IncidentPushIn) -> dict[str, Any]:
    """Store up to 1,000 incidents into your jurisdiction. Each item is created, updated,
    unchanged (same source system and id, same content) or rejected with its reasons; the
    valid items are stored even when others are rejected."""
    items = [
        {
            "source_id": item.source_id.strip(),
            "occurred_at": item.occurred_at.strip(),
            "category": item.category.strip(),
            "sub_category": item.sub_category.strip(),
            "latitude": repr(item.latitude),
            "longitude": repr(item.longitude),
            "unit": item.unit.strip(),
            "outcome": item.outcome.strip(),
            "description": item.description.strip(),
        }
        for item in payload.items
    ]
    result = services.push_incidents(
        actor=api_actor(request),
        source_system=payload.source_system,
        coordinates=payload.coordinates,
        items=items,
    )
    errors: dict[int, list[dict[str, str]]] = {}
    for e in result.errors:
        errors.setdefault(e.row, []).append(
            {"field": e.field, "value": e.value, "reason": e.reason}
        )
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "rejected": result.rejected,
        "items": [
            {
                "index": i,
                "source_id": items[i]["source_id"],
                "status": result.statuses[i][0],
                "id": result.statuses[i][1],
                "errors": errors.get(i, []),
            }
            for i in range(len(items))
        ],
    }


# The analytics operations (maps, trends, patrols) are on this router too.
from liuqing.incidents import api_maps, api_seasons  # noqa: E402, F401
