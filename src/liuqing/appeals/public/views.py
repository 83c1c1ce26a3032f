"""The residents' pages (/p/): no login, in the visitor's language, nothing personal.

Every view is thin: it parses, calls one public service or selector, renders. The request
form, the receipt, the status lookup and the printable board are rate limited per client
address (liuqing.appeals.public.ratelimit) and answer 429 with a translated page when over.
A malformed or unknown tracking code, place or unit is a 404 page that says so, never a 500.

`?lang=<code>` (zh-hans, ug, kk-arab, en) on any of these pages picks its language and keeps
it for the visit (the language cookie), so the QR code of a printed board or contact card
opens the page in the language of the sheet, whatever the phone's own language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from liuqing.appeals import public_selectors as selectors
from liuqing.appeals.models import AppealChannel
from liuqing.appeals.pdf import NoticeBoard, NoticeRow, render_notice_board
from liuqing.appeals.public import ratelimit
from liuqing.appeals.public.forms import PeriodForm, PublicAppealForm, TrackForm
from liuqing.appeals.public_services import submit_public_appeal
from liuqing.core.forms import apply_errors

PDF_FALLBACK = "zh-hans"
_LANGUAGES = {code for code, _name in settings.LANGUAGES}

View = Callable[..., HttpResponse]


def language_from_query(view: View) -> View:
    """Serve the page in the language `?lang=` names (one of settings.LANGUAGES; anything
    else is ignored) and remember it in the language cookie, as Django's set_language does."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        code = request.GET.get("lang", "").strip().lower()
        if code not in _LANGUAGES:
            return view(request, *args, **kwargs)
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = view(request, *args, **kwargs)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response

    return wrapper


def too_many(request: HttpRequest, verdict: ratelimit.Verdict) -> HttpResponse:
    response = render(
        request,
        "appeals/public/429.html",
        {"retry_minutes": max(1, (verdict.retry_after + 59) // 60)},
        status=429,
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """Pages that show a tracking code: never cached by a shared cache or the browser."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@language_from_query
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "appeals/public/home.html", {"track_form": TrackForm()})


@language_from_query
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """The request form. A contact card's QR link (?officer=&unit=) names the officer and the
    unit; the villages offered are then that unit's, and the case opens there."""
    card = None
    card_problem = False
    if "officer" in request.GET or "unit" in request.GET:
        card = selectors.card_from_link(request.GET.get("officer"), request.GET.get("unit"))
        card_problem = card is None
    categories = selectors.public_categories()
    places = selectors.public_places(card.unit if card is not None else None)
    form = PublicAppealForm(
        request.POST if request.method == "POST" else None,
        categories=categories,
        places=places,
    )
    if request.method == "POST":
        verdict = ratelimit.hit(request, "submit")
        if not verdict.allowed:
            return too_many(request, verdict)
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = submit_public_appeal(
                    category=data["category"],
                    description=data["description"],
                    place=data["place"],
                    unit=card.unit if card is not None else None,
                    officer=card.officer if card is not None else None,
                    resident_name=data["resident_name"],
                    resident_phone=data["resident_phone"],
                    anonymous=data["anonymous"],
                    consent=data["consent"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    channel=AppealChannel.QR_CARD if card is not None else AppealChannel.ONLINE,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                assert case.public_code
                return redirect("appeals:public_receipt", code=case.public_code)
    response = render(
        request,
        "appeals/public/submit.html",
        {
            "form": form,
            "card": card,
            "card_problem": card_problem,
            "has_places": any(g["places"] for g in places),
            "needs_location": form.needs_location,
        },
        status=400 if request.method == "POST" else 200,
    )
    return _private(response) if request.method == "POST" else response


def _grouped(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _not_found(request: HttpRequest, message: str, code: str = "") -> HttpResponse:
    form = TrackForm(initial={"code": code})
    response = render(
        request,
        "appeals/public/track.html",
        {"form": form, "problem": message, "noindex": True},
        status=404,
    )
    return _private(response)


@language_from_query
@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    verdict = ratelimit.hit(request, "lookup")
    if not verdict.allowed:
        return too_many(request, verdict)
    normal = selectors.normalise_code(code)
    status = selectors.public_status(normal) if normal else None
    if status is None:
        return _not_found(request, _("There is no request with this tracking code."))
    response = render(
        request,
        "appeals/public/receipt.html",
        {"status": status, "grouped": _grouped(status.code), "noindex": True},
    )
    return _private(response)


@language_from_query
@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """Look a request up by its tracking code (?code= sends the visitor to its page)."""
    if "code" not in request.GET:
        return render(request, "appeals/public/track.html", {"form": TrackForm()})
    verdict = ratelimit.hit(request, "lookup")
    if not verdict.allowed:
        return too_many(request, verdict)
    raw = request.GET.get("code", "")[:40]
    normal = selectors.normalise_code(raw)
    if normal is None:
        return _not_found(
            request,
            _(
                "This is not a tracking code. A code has ten letters and digits, as printed "
                "on your receipt."
            ),
            raw,
        )
    if selectors.public_status(normal) is None:
        return _not_found(request, _("There is no request with this tracking code."), raw)
    return redirect("appeals:public_status", code=normal)


@language_from_query
@require_GET
def status(request: HttpRequest, code: str) -> HttpResponse:
    verdict = ratelimit.hit(request, "lookup")
    if not verdict.allowed:
        return too_many(request, verdict)
    normal = selectors.normalise_code(code)
    found = selectors.public_status(normal) if normal else None
    if found is None:
        return _not_found(request, _("There is no request with this tracking code."), code[:40])
    return _private(
        render(
            request,
            "appeals/public/status.html",
            {"status": found, "grouped": _grouped(found.code), "noindex": True},
        )
    )


@language_from_query
@require_GET
def boards(request: HttpRequest) -> HttpResponse:
    """Every village's and community's notice board, grouped by brigade and station."""
    return render(request, "appeals/public/boards.html", {"groups": selectors.board_places()})


def _scope_or_404(scope: str, pk: int) -> selectors.BoardScope:
    found = selectors.board_scope(scope, pk)
    if found is None:
        raise Http404(_("There is no notice board here."))
    return found


def _window(request: HttpRequest) -> tuple[PeriodForm, dt.date, dt.date, dt.datetime, dt.datetime]:
    form = PeriodForm(request.GET if request.GET.keys() & {"start", "end"} else None)
    today = timezone.localdate()
    first, last = form.period(today, selectors.BOARD_DAYS)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return form, first, last, start, end


def _period_query(first: dt.date, last: dt.date) -> str:
    return urlencode({"start": first.isoformat(), "end": last.isoformat()})


@language_from_query
@require_GET
def board(request: HttpRequest, scope: str, pk: int) -> HttpResponse:
    """公示: one village's (or one unit's) public requests for a period, paginated."""
    where = _scope_or_404(scope, pk)
    form, first, last, start, end = _window(request)
    page, rows = selectors.board_page(where, start, end, request.GET.get("page"))
    query = _period_query(first, last)
    return render(
        request,
        "appeals/public/board.html",
        {
            "where": where,
            "form": form,
            "first": first,
            "last": last,
            "page": page,
            "rows": rows,
            "query": query,
            "pdf_url": reverse(
                "appeals:public_board_pdf", kwargs={"scope": where.kind, "pk": where.pk}
            )
            + "?"
            + query,
        },
    )


def board_link(
    request: HttpRequest, where: selectors.BoardScope, first: dt.date, last: dt.date
) -> str:
    """The address of the online board for the printed board's QR code: the same period,
    in the active language (?lang=), so a scan opens the page the sheet's readers can read."""
    language = translation.get_language() or PDF_FALLBACK
    return request.build_absolute_uri(
        reverse("appeals:public_board", kwargs={"scope": where.kind, "pk": where.pk})
        + "?"
        + _period_query(first, last)
        + "&"
        + urlencode({"lang": language})
    )


def _board_labels() -> dict[str, str]:
    return {
        "number": _("Number"),
        "category": _("Category"),
        "summary": _("Matter"),
        "status": _("Status"),
        "result": _("Result"),
        "closed_on": _("Closed on"),
        "period": _("Period: {period}"),
        "duty_phone": _("Duty phone: {phone}"),
        "qr_caption": _("Scan to see this board online"),
        "footer": _(
            "Names and personal details are never shown. To ask about your own request, use "
            "its tracking code."
        ),
        "empty": _("No public requests in this period."),
        "generated_at": _("Printed {time}"),
        "page": _("Page {page} of {pages}"),
        "none": "—",
        "lang": translation.get_language() or PDF_FALLBACK,
    }


@language_from_query
@require_GET
def board_pdf(request: HttpRequest, scope: str, pk: int) -> HttpResponse:
    """The board as a printable A4 PDF for the village wall, with a QR code to the page."""
    verdict = ratelimit.hit(request, "board_pdf")
    if not verdict.allowed:
        return too_many(request, verdict)
    where = _scope_or_404(scope, pk)
    _form, first, last, start, end = _window(request)
    rows = selectors.board_rows(where, start, end)
    online = board_link(request, where, first, last)
    sheet = NoticeBoard(
        title=_("Public notice of residents' requests"),
        unit_name=where.unit_name,
        place_name=where.name if where.kind == "place" else "",
        period_label=f"{first.isoformat()} – {last.isoformat()}",
        generated_at=timezone.localtime(),
        rows=[
            NoticeRow(
                number=row.number,
                category=row.category,
                summary=row.summary,
                status_label=str(row.status_label),
                result=row.result,
                closed_on=row.closed_on,
            )
            for row in rows
        ],
        labels=_board_labels(),
        qr_url=online,
        duty_phone=where.duty_phone,
    )
    body = render_notice_board(sheet)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="board-{where.kind}-{where.pk}.pdf"'
    return response
