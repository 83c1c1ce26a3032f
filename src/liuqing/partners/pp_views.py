"""The partners' mobile pages (/pp/), the public CAP messages and the Atom feed (/cap/).

Partners are not staff: they sign in with a one-time code sent through their channel, and
their session is a random token in a cookie of its own (`lq_partner`, HttpOnly, SameSite=Lax,
Secure like the staff session cookie), stored server-side as a digest
(`PartnerSession`). It grants nothing on staff pages (which look at the staff session only),
and a partner page shows only what was sent to the signed-in partner and what they reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuqing.core.access import NotFound
from liuqing.core.forms import apply_errors
from liuqing.partners import cap, selectors, services
from liuqing.partners.forms import CodeForm, InviteForm, JoinForm, PhoneForm, SightingForm, TipForm
from liuqing.partners.models import Partner, PartnerStatus

COOKIE = "lq_partner"
GET_POST = require_http_methods(["GET", "POST"])


def current_partner(request: HttpRequest) -> Partner | None:
    cached = getattr(request, "_partner", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    partner = services.partner_for_token(request.COOKIES.get(COOKIE))
    request._partner = partner  # type: ignore[attr-defined]
    return partner


def partner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        partner = current_partner(request)
        if partner is None:
            return redirect("partners:pp_signin")
        # The partner's own language, unless they picked one with the language switcher.
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(partner.language)
            request.LANGUAGE_CODE = partner.language
        try:
            response = view(request, partner, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        add_never_cache_headers(response)
        return response

    return wrapper


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(
        request, template, {"partner": current_partner(request), **context}, status=status
    )
    add_never_cache_headers(response)
    return response


# --- Joining -------------------------------------------------------------------------------------


@GET_POST
def join(request: HttpRequest) -> HttpResponse:
    """Type an invite code (or arrive from the QR code's link)."""
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        group = services.group_by_code(form.cleaned_data["invite_code"])
        if group is not None:
            return redirect("partners:pp_join_code", code=group.invite_code)
        form.add_error(
            "invite_code", _("This invite code is not valid. Check it with your officer.")
        )
    return _page(request, "partners/pp/join.html", {"form": form})


@GET_POST
def join_code(request: HttpRequest, code: str) -> HttpResponse:
    group = services.group_by_code(code)
    if group is None:
        form = InviteForm({"invite_code": code[:16]})
        form.is_valid()
        form.add_error(
            "invite_code", _("This invite code is not valid. Check it with your officer.")
        )
        return _page(request, "partners/pp/join.html", {"form": form}, status=404)
    form = JoinForm(request.POST if request.method == "POST" else None, group=group)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.join_group(invite_code=group.invite_code, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            services.request_sign_in_code(phone=data["phone"])
            request.session.pop("pp_phone", None)
            response = redirect("partners:pp_code")
            response.set_cookie(
                "lq_pp_phone",
                data["phone"][:30],
                max_age=900,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    return _page(request, "partners/pp/join_form.html", {"form": form, "group": group})


# --- Signing in and out --------------------------------------------------------------------------


@GET_POST
def signin(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.request_sign_in_code(phone=form.cleaned_data["phone"])
        response = redirect("partners:pp_code")
        response.set_cookie(
            "lq_pp_phone",
            form.cleaned_data["phone"][:30],
            max_age=900,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    return _page(request, "partners/pp/signin.html", {"form": form})


@GET_POST
def code(request: HttpRequest) -> HttpResponse:
    phone = request.COOKIES.get("lq_pp_phone", "")
    form = CodeForm(request.POST if request.method == "POST" else None, initial={"phone": phone})
    if request.method == "POST" and form.is_valid():
        try:
            _partner, token = services.sign_in(
                phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            response = redirect("partners:pp_home")
            response.set_cookie(
                COOKIE,
                token,
                max_age=int(services.SESSION_TTL.total_seconds()),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            response.delete_cookie("lq_pp_phone")
            return response
    return _page(request, "partners/pp/code.html", {"form": form})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    token = request.COOKIES.get(COOKIE)
    if token:
        services.sign_out(token=token)
    response = redirect("partners:pp_signin")
    response.delete_cookie(COOKIE)
    return response


# --- The partner's own pages ---------------------------------------------------------------------


@partner_required
def home(request: HttpRequest, partner: Partner) -> HttpResponse:
    alerts = selectors.alerts_for_partner(partner)
    items = [(a, selectors.text_for(a, partner.language)) for a in alerts]
    return _page(
        request,
        "partners/pp/home.html",
        {
            "items": items,
            "replies": selectors.replies_of(partner)[:50],
            "memberships": selectors.memberships_of(partner),
        },
    )


@partner_required
@GET_POST
def alert(request: HttpRequest, partner: Partner, pk: int) -> HttpResponse:
    found = selectors.access_partner_alert(partner, pk)
    form = SightingForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("ack"):
            services.acknowledge(partner=partner, alert=found)
            messages.success(request, _("Thank you: the station knows you saw it."))
            return redirect("partners:pp_alert", pk=found.pk)
        if form.is_valid():
            try:
                services.report_sighting(
                    partner=partner,
                    alert=found,
                    text=form.cleaned_data["text"],
                    latitude=form.cleaned_data["latitude"],
                    longitude=form.cleaned_data["longitude"],
                    photo=form.cleaned_data.get("photo"),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Thank you: your report went to the station."))
                return redirect("partners:pp_alert", pk=found.pk)
    return _page(
        request,
        "partners/pp/alert.html",
        {
            "alert": found,
            "text": selectors.text_for(found, partner.language),
            "acked": selectors.acknowledged(partner, found),
            "mine": selectors.sightings_by(partner, found),
            "form": form,
        },
    )


@partner_required
@GET_POST
def tip(request: HttpRequest, partner: Partner) -> HttpResponse:
    from liuqing.appeals.public_selectors import public_categories

    places = list(selectors.tip_places(partner)[:500])
    form = TipForm(
        request.POST or None,
        categories=public_categories(),
        places=places,
        initial={"place": partner.place_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            reply = services.send_tip(partner=partner, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Thank you. Your tip became request %(code)s; "
                    "you can follow it on the residents' pages."
                )
                % {"code": reply.case_code},
            )
            return redirect("partners:pp_home")
    return _page(request, "partners/pp/tip.html", {"form": form})


@partner_required
@require_POST
def set_status(request: HttpRequest, partner: Partner) -> HttpResponse:
    wanted = request.POST.get("status", "")
    if wanted not in (PartnerStatus.ACTIVE, PartnerStatus.PAUSED, PartnerStatus.LEFT):
        raise Http404
    services.set_partner_status(partner=partner, status=wanted)
    if wanted == PartnerStatus.LEFT:
        response = redirect("partners:pp_signin")
        response.delete_cookie(COOKIE)
        return response
    messages.success(request, _("Saved."))
    return redirect("partners:pp_home")


@partner_required
@require_POST
def leave_group(request: HttpRequest, partner: Partner, pk: int) -> HttpResponse:
    services.leave_group(partner=partner, group=selectors.partner_group(partner, pk))
    messages.success(request, _("You left the group."))
    return redirect("partners:pp_home")


# --- Public CAP and the Atom feed ----------------------------------------------------------------


@require_GET
def cap_message(request: HttpRequest, identifier: str) -> HttpResponse:
    """One public alert version's CAP 1.2 message, exactly as issued."""
    try:
        version = selectors.public_version(identifier)
    except NotFound:
        raise Http404 from None
    response = HttpResponse(
        version.xml.encode("utf-8"), content_type=f"{cap.CAP_CONTENT_TYPE}; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


def atom_time(value: dt.datetime) -> str:
    """An RFC 3339 date-time for Atom: seconds and an explicit offset, UTC written "Z"."""
    text = timezone.localtime(value).replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    """An Atom feed (RFC 4287) of the current public alerts: one entry per alert (its latest
    version), whose id is the version's stable CAP URL, with a link of type
    application/cap+xml; the feed has its own id, title, updated time, author and rel=self
    link, so it is valid with no entries too."""
    versions = selectors.current_public_versions()
    updated = max((v.sent for v in versions), default=timezone.now())
    self_url = request.build_absolute_uri(reverse("partners:feed"))
    entries = []
    for v in versions:
        url = request.build_absolute_uri(
            reverse("partners:cap", kwargs={"identifier": v.identifier})
        )
        text = selectors.text_for(v.alert, "zh-hans")
        entries.append(
            "<entry>"
            f"<id>{escape(url)}</id>"
            f"<title>{escape(text.headline if text else v.identifier)}</title>"
            f"<updated>{atom_time(v.sent)}</updated>"
            f'<link rel="alternate" type="{cap.CAP_CONTENT_TYPE}" href="{escape(url)}"/>'
            f"<summary>{escape((text.description if text else '')[:500])}</summary>"
            f"<author><name>{escape(v.alert.unit.name)}</name></author>"
            "</entry>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{escape(self_url)}</id>"
        f"<title>{escape(_('Liuqing public alerts'))}</title>"
        f"<updated>{atom_time(updated)}</updated>"
        f"<author><name>{escape(cap.sender())}</name></author>"
        f'<link rel="self" type="application/atom+xml" href="{escape(self_url)}"/>'
        + "".join(entries)
        + "</feed>"
    )
    response = HttpResponse(
        body.encode("utf-8"), content_type="application/atom+xml; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


pp_urlpatterns = [
    ("pp/", home, "pp_home"),
    ("pp/join/", join, "pp_join"),
    ("pp/join/<str:code>/", join_code, "pp_join_code"),
    ("pp/signin/", signin, "pp_signin"),
    ("pp/code/", code, "pp_code"),
    ("pp/signout/", signout, "pp_signout"),
    ("pp/alerts/<int:pk>/", alert, "pp_alert"),
    ("pp/tip/", tip, "pp_tip"),
    ("pp/status/", set_status, "pp_status"),
    ("pp/groups/<int:pk>/leave/", leave_group, "pp_leave_group"),
    ("cap/alerts/<str:identifier>.xml", cap_message, "cap"),
    ("cap/feed.atom", feed, "feed"),
]
