"""The notification API: /api/v1/notifications (your own inbox only)."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from liuqing.core.api import Pagination, api_actor
from liuqing.notify import selectors, services
from liuqing.notify.models import Delivery

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationQuery(Schema):
    unread: bool | None = Field(None, description="Only unread (true) or only read (false)")


@router.get(
    "", response=list[NotificationOut], operation_id="list_notifications", summary="Your inbox"
)
@paginate(Pagination)
def list_notifications(
    request: HttpRequest, filters: Query[NotificationQuery]
) -> QuerySet[Delivery]:
    return selectors.inbox(api_actor(request), unread=filters.unread)


@router.post(
    "/{pk}/read",
    response=NotificationOut,
    operation_id="mark_notification_read",
    summary="Mark a notification read",
)
def mark_notification_read(request: HttpRequest, pk: int) -> Any:
    actor = api_actor(request)
    delivery = selectors.access_notification(actor, pk)
    return services.mark_read(actor=actor, delivery=delivery)
