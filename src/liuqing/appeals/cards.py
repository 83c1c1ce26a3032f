"""Contact cards (三件套): printable sheets of officers' cards, for staff.

Each card carries the officer's name, role and unit, the unit's duty phone (never the
officer's own phone) and a QR code that opens the residents' request form with the officer and
the unit filled in (/p/new/?officer=<id>&unit=<id>). A sheet is one officer's card, or the
cards of every active officer of a unit's subtree; access goes through the jurisdiction scope
(`member` and `unit` kinds): out of scope → 404.

appeals/urls.py includes `urlpatterns` (names appeals:contact_cards, …_officer, …_unit).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liuqing.appeals.pdf import ContactCard, render_contact_cards
from liuqing.appeals.public_services import CARD_ROLES
from liuqing.core import access
from liuqing.core.auth import staff_required
from liuqing.core.models import Member, Role, Unit
from liuqing.core.views.common import actor_of

PDF_FALLBACK = "zh-hans"
MAX_CARDS = 400


def _officers() -> QuerySet[Member]:
    return (
        Member.objects.filter(is_active=True, role_grants__role__in=CARD_ROLES)
        .select_related("unit")
        .distinct()
    )


def _duty_phones(units: list[Unit]) -> dict[int, str]:
    """Each unit's duty phone, or the nearest unit above with one. One query."""
    paths: set[str] = set()
    for unit in units:
        parts = unit.path.split(".")[:-1]
        paths.update(".".join(parts[: i + 1]) + "." for i in range(len(parts)))
    phones = dict(
        Unit.objects.filter(path__in=sorted(paths))
        .exclude(duty_phone="")
        .values_list("path", "duty_phone")
    )
    result = {}
    for unit in units:
        parts = unit.path.split(".")[:-1]
        found = ""
        for i in range(len(parts), 0, -1):
            found = phones.get(".".join(parts[:i]) + ".", "")
            if found:
                break
        result[unit.pk] = found
    return result


def _card_url(request: HttpRequest, officer: Member) -> str:
    # The form opens in the card's language (public pages honour ?lang=).
    language = translation.get_language() or PDF_FALLBACK
    query = urlencode({"officer": officer.pk, "unit": officer.unit_id, "lang": language})
    return request.build_absolute_uri(reverse("appeals:public_submit") + "?" + query)


def _labels() -> dict[str, str]:
    return {
        "duty_phone": _("Duty phone"),
        "scan": _("Scan to send us a request"),
        "empty": _("No cards to print."),
        "generated_at": _("Printed {time}"),
        "page": _("Page {page} of {pages}"),
        "title": _("Officers' contact cards"),
        "lang": translation.get_language() or PDF_FALLBACK,
    }


def officer_cards(request: HttpRequest, officers: list[Member]) -> list[ContactCard]:
    """The cards of `officers`, in the active language."""
    phones = _duty_phones([o.unit for o in officers])
    return [
        ContactCard(
            officer_name=officer.full_name,
            unit_name=officer.unit.name,
            role_label=str(Role(CARD_ROLES[0]).label),
            duty_phone=phones.get(officer.unit_id, ""),
            qr_url=_card_url(request, officer),
            headline=_("Community police"),
            footer=_("In an emergency, call 110."),
        )
        for officer in officers
    ]


def _sheet(request: HttpRequest, officers: list[Member], filename: str) -> HttpResponse:
    # In the request's language (any of settings.LANGUAGES: the PDF sets Arabic script too).
    cards = officer_cards(request, officers)
    body = render_contact_cards(cards, _labels(), generated_at=timezone.localtime())
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_required
def contact_cards(request: HttpRequest) -> HttpResponse:
    """Pick an officer or a unit in your jurisdiction and print their cards."""
    member = actor_of(request)
    officers = list(
        access.scope(_officers(), member, "member").order_by("unit__path", "full_name")[:MAX_CARDS]
    )
    units = list(
        access.scope(Unit.objects.filter(is_active=True), member, "unit").order_by("path")[
            :MAX_CARDS
        ]
    )
    return render(request, "appeals/cards.html", {"officers": officers, "units": units})


@staff_required
def contact_cards_officer(request: HttpRequest, pk: int) -> HttpResponse:
    officer = access.access(actor_of(request), _officers(), "member", pk)
    return _sheet(request, [officer], f"card-{officer.pk}.pdf")


@staff_required
def contact_cards_unit(request: HttpRequest, pk: int) -> HttpResponse:
    member = actor_of(request)
    unit = access.access(member, Unit.objects.filter(is_active=True), "unit", pk)
    officers = list(
        access.scope(_officers(), member, "member")
        .filter(access.subtree_q(unit, "unit__path"))
        .order_by("unit__path", "full_name")[:MAX_CARDS]
    )
    return _sheet(request, officers, f"cards-unit-{unit.pk}.pdf")


urlpatterns = [
    path("cards/", contact_cards, name="contact_cards"),
    path("cards/officer/<int:pk>.pdf", contact_cards_officer, name="contact_cards_officer"),
    path("cards/unit/<int:pk>.pdf", contact_cards_unit, name="contact_cards_unit"),
]
