"""Contact cards (三件套): staff print one officer's card or a unit's officers' cards, with the
unit's duty phone and a QR code to the prefilled request form; nothing outside their scope."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from liuqing.appeals import cards
from liuqing.appeals.pdf_script import visual_line
from liuqing.appeals.public.testing import pdf_text
from liuqing.appeals.tests.conftest import Cast
from liuqing.casework.testing import member_at
from liuqing.core import services as core_services
from liuqing.core.models import Role
from liuqing.core.testing import login_verified

pytestmark = pytest.mark.django_db

OFFICER_PHONE = "13811112222"
DUTY_PHONE = "0999-8123456"


@pytest.fixture
def staff(cast: Cast) -> Client:
    return login_verified(Client(), cast.sam)


@pytest.fixture
def duty(cast: Cast, world: Any) -> None:
    """The station has a duty phone; the officer has a personal one that must never print."""
    root = member_at(world.units["D"], Role.DETACHMENT_STAFF, "root")
    core_services.update_unit(actor=root, unit=cast.unit, duty_phone=DUTY_PHONE)
    core_services.update_member(actor=root, member=cast.alice, phone=OFFICER_PHONE)


def test_the_page_lists_the_officers_and_units_in_scope(
    staff: Client, cast: Cast, world: Any
) -> None:
    member_at(world.units["C1"], Role.OFFICER, "carol")
    html = staff.get(reverse("appeals:contact_cards")).content.decode()
    assert cast.alice.full_name in html
    assert "cw_carol" in html
    assert cast.olga.full_name not in html  # the sibling station's officer
    sergeant = reverse("appeals:contact_cards_officer", kwargs={"pk": cast.sam.pk})
    assert sergeant not in html  # sergeants carry no card
    assert reverse("appeals:contact_cards_unit", kwargs={"pk": cast.unit.pk}) in html


def test_one_officers_card_has_the_duty_phone_and_a_qr_link_to_the_form(
    staff: Client, cast: Cast, duty: None
) -> None:
    response = staff.get(reverse("appeals:contact_cards_officer", kwargs={"pk": cast.alice.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert cast.alice.full_name in text
    assert cast.unit.name in text
    assert DUTY_PHONE in text
    assert OFFICER_PHONE not in text
    assert OFFICER_PHONE[-4:] + ")" not in text


@pytest.mark.parametrize(("language", "direction"), [("zh-hans", "ltr"), ("ug", "rtl")])
def test_the_qr_link_opens_the_form_with_officer_and_unit_in_the_cards_language(
    cast: Cast, duty: None, language: str, direction: str
) -> None:
    request = RequestFactory().get("/appeals/cards/")
    with translation.override(language):
        (card,) = cards.officer_cards(request, [cast.alice])
    assert card.duty_phone == DUTY_PHONE
    parts = urlsplit(card.qr_url)
    assert parts.scheme == "http"
    assert parts.netloc == "testserver"
    assert parts.path == reverse("appeals:public_submit")
    assert parse_qs(parts.query) == {
        "officer": [str(cast.alice.pk)],
        "unit": [str(cast.unit.pk)],
        "lang": [language],
    }
    # The link works: it prefills the card on the residents' form, in the card's language
    # whatever the phone's, and the choice holds for the rest of the visit.
    visitor = Client()
    page = visitor.get(card.qr_url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert cast.alice.full_name in html
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert visitor.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    home = visitor.get(reverse("appeals:public_home"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'<html lang="{language}"' in home.content.decode()


def test_an_officer_below_a_unit_without_a_duty_phone_gets_the_nearest_one_above(
    cast: Cast, duty: None, world: Any
) -> None:
    carol = member_at(world.units["G1"], Role.OFFICER, "carol")
    (card,) = cards.officer_cards(RequestFactory().get("/"), [carol])
    assert card.duty_phone == DUTY_PHONE


def test_a_units_sheet_holds_every_officer_below_it(staff: Client, cast: Cast, world: Any) -> None:
    carol = member_at(world.units["C1"], Role.OFFICER, "carol")
    response = staff.get(reverse("appeals:contact_cards_unit", kwargs={"pk": cast.unit.pk}))
    text = pdf_text(response.content)
    assert cast.alice.full_name in text
    assert carol.full_name in text
    assert cast.olga.full_name not in text
    only_child = staff.get(reverse("appeals:contact_cards_unit", kwargs={"pk": cast.child.pk}))
    text = pdf_text(only_child.content)
    assert carol.full_name in text
    assert cast.alice.full_name not in text


def test_out_of_scope_officers_and_units_are_404(staff: Client, cast: Cast, world: Any) -> None:
    officer = staff.get(reverse("appeals:contact_cards_officer", kwargs={"pk": cast.olga.pk}))
    assert officer.status_code == 404
    unit = staff.get(reverse("appeals:contact_cards_unit", kwargs={"pk": world.units["S2"].pk}))
    assert unit.status_code == 404
    not_an_officer = staff.get(
        reverse("appeals:contact_cards_officer", kwargs={"pk": cast.carla.pk})
    )
    assert not_an_officer.status_code == 404


def test_residents_cannot_print_cards(client: Client, cast: Cast) -> None:
    response = client.get(reverse("appeals:contact_cards_officer", kwargs={"pk": cast.alice.pk}))
    assert response.status_code == 302
    assert reverse("core:login") in response["Location"]


@pytest.mark.parametrize("language", ["ug", "kk-arab"])
def test_uyghur_and_kazakh_sheets_print_in_their_language(
    staff: Client, cast: Cast, duty: None, language: str
) -> None:
    response = staff.get(
        reverse("appeals:contact_cards_unit", kwargs={"pk": cast.unit.pk}),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert f"/Lang ({language})" in text
    with translation.override(language):
        duty_label, scan = gettext("Duty phone"), gettext("Scan to send us a request")
    assert duty_label != "Duty phone"
    assert visual_line(duty_label, rtl=True) in text
    assert visual_line(scan.split()[-1], rtl=True) in text
    assert cast.alice.full_name in text
    assert DUTY_PHONE in text
