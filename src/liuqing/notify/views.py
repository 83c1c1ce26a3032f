"""The member's notification inbox: read what the app told you, mark it read."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuqing.core.auth import staff_required
from liuqing.core.views.common import actor_of, paginate
from liuqing.notify import selectors, services


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, selectors.inbox(actor, unread=True if unread_only else None))
    return render(
        request,
        "notify/inbox.html",
        {"page": page, "unread_only": unread_only, "query": "unread=1&" if unread_only else ""},
    )


@staff_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    delivery = selectors.access_notification(actor, pk)
    services.mark_read(actor=actor, delivery=delivery)
    # Opening a notification's link marks it read on the way.
    if (
        request.POST.get("follow")
        and delivery.link
        and url_has_allowed_host_and_scheme(delivery.link, allowed_hosts={request.get_host()})
    ):
        return redirect(delivery.link)
    return redirect("notify:inbox")


@staff_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=actor_of(request))
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notify:inbox")


urlpatterns = [
    path("notifications/", inbox, name="inbox"),
    path("notifications/<int:pk>/read/", mark_read, name="mark_read"),
    path("notifications/read-all/", mark_all_read, name="mark_all_read"),
]
