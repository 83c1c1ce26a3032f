"""Login with password then TOTP, the lockout, logout and the guard on staff pages.

Codes are real TOTP codes computed from the device's key; nothing of ours is mocked.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.views import View
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuqing.core.access import AccessDenied, NotFound
from liuqing.core.auth import (
    StaffRequiredMixin,
    html_errors,
    lockout_response,
    safe_next,
    staff_required,
)
from liuqing.core.models import AuditEvent, Member, Role
from liuqing.core.testing import PASSWORD, World, confirmed_device, login_verified

LOGIN = "/login/"
VERIFY = "/otp/verify/"
ENROL = "/otp/enrol/"


# --- Helpers (imported by the other auth test modules) ---------------------------------------


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    """The code the member's app shows now (offset in time steps)."""
    if device.pk is not None:
        device.refresh_from_db()
    return (
        f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"
    )


def wrong_code(device: TOTPDevice) -> str:
    """A code that is none of the ones the tolerance window accepts now."""
    valid = {code_for(device, o) for o in (-2, -1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(271_828, 1_000_000, 7919) if f"{n:06d}" not in valid)


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def post_code(client: Client, code: str, url: str = VERIFY, **extra: Any) -> Any:
    return client.post(url, {"otp_token": code}, **extra)


def full_login(client: Client, member: Member) -> TOTPDevice:
    """Log in through the real pages: password, then the current code."""
    device = confirmed_device(member)
    assert post_password(client, member.username).status_code == 302
    response = post_code(client, code_for(device))
    assert response.status_code == 302, response.content.decode()[:500]
    return device


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.fixture
def no_backoff(settings: Any) -> None:
    """Turn off django-otp's 1-2-4… second back-off between wrong codes, so that a test can
    send five wrong codes in a row; test_django_otp_backoff_holds_codes_for_a_moment covers it."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def chief(world: World) -> Member:
    return world.persona(Role.STATION_CHIEF)


# --- The password step -----------------------------------------------------------------------


def test_the_login_page_renders_for_anyone(client: Client) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


def test_a_right_password_without_an_authenticator_leads_to_enrolment(
    client: Client, chief: Member
) -> None:
    response = post_password(client, chief.username)
    assert response.status_code == 302
    assert response["Location"] == ENROL


def test_a_right_password_with_an_authenticator_leads_to_the_code(
    client: Client, chief: Member
) -> None:
    confirmed_device(chief)
    response = post_password(client, chief.username)
    assert response.status_code == 302
    assert response["Location"] == VERIFY


def test_login_starts_a_new_session_and_records_when(client: Client, chief: Member) -> None:
    client.get(LOGIN)
    client.cookies["sessionid"] = "fixated-by-an-attacker-0000000000"
    post_password(client, chief.username)
    key = client.cookies["sessionid"].value
    assert key != "fixated-by-an-attacker-0000000000"
    session = client.session
    assert session["_auth_user_id"] == str(chief.pk)
    assert abs(session["liuqing_login_at"] - timezone.now().timestamp()) < 10
    assert DEVICE_ID_SESSION_KEY not in session


def test_a_successful_password_step_is_audited(client: Client, chief: Member) -> None:
    post_password(client, chief.username)
    (event,) = events("auth.login")
    assert event.outcome == "ok"
    assert event.member_id_value == chief.pk
    assert event.source_ip == "127.0.0.1"


def test_a_wrong_password_is_refused_and_audited_without_the_password(
    client: Client, chief: Member
) -> None:
    response = post_password(client, chief.username, "this is not it 123")
    assert response.status_code == 400
    assert "The username or password is wrong." in response.content.decode()
    assert "_auth_user_id" not in client.session
    (event,) = events("auth.login_failed")
    assert event.outcome == "failed"
    assert event.member_username == chief.username
    assert event.unit_id_value == chief.unit_id
    stored = " ".join(f"{e.details} {e.reason}" for e in AuditEvent.objects.all())
    assert "this is not it" not in stored


def test_an_unknown_username_gets_the_same_answer(client: Client, chief: Member) -> None:
    unknown = post_password(client, "nobody_here", "this is not it 123")
    wrong = post_password(client, chief.username, "this is not it 123")
    assert unknown.status_code == wrong.status_code == 400
    message = "The username or password is wrong."
    assert message in unknown.content.decode()
    assert message in wrong.content.decode()
    assert [e.member_username for e in events("auth.login_failed")] == [
        "nobody_here",
        chief.username,
    ]


def test_an_inactive_member_cannot_log_in(client: Client, chief: Member) -> None:
    chief.is_active = False
    chief.save()
    response = post_password(client, chief.username)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"username": "", "password": ""},
        {"username": "x" * 5000, "password": "y"},
        {"username": "nul\x00byte", "password": "p"},
        {"username": ["a", "b"], "password": "p"},
        {"password": "x" * 10_000, "username": "u"},
    ],
)
def test_bad_login_input_is_a_form_error_not_a_crash(
    client: Client, world: World, data: dict[str, Any]
) -> None:
    response = client.post(LOGIN, data)
    assert response.status_code in (200, 400)
    assert 'class="errorlist' in response.content.decode()


# --- Lockout ---------------------------------------------------------------------------------


def test_it_locks_after_five_wrong_passwords(client: Client, chief: Member) -> None:
    for _ in range(4):
        assert post_password(client, chief.username, "wrong wrong wrong").status_code == 400
    fifth = post_password(client, chief.username, "wrong wrong wrong")
    assert fifth.status_code == 429
    assert "Retry-After" in fifth
    # Even the right password is refused now.
    sixth = post_password(client, chief.username)
    assert sixth.status_code == 429
    assert "_auth_user_id" not in client.session
    body = sixth.content.decode()
    assert "locked" in body.lower()
    assert "15 more minutes" in body
    assert len(events("auth.login_failed")) == 5
    assert [e.outcome for e in events("auth.locked")] == ["denied", "denied"]


def test_the_lock_counts_per_account_across_addresses(client: Client, chief: Member) -> None:
    for n in range(5):
        post_password(client, chief.username, "wrong wrong wrong", REMOTE_ADDR=f"10.0.0.{n + 1}")
    response = post_password(Client(), chief.username, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429


def test_the_lock_counts_per_address_across_accounts(client: Client, world: World) -> None:
    for n in range(5):
        post_password(client, f"guess{n}", "wrong wrong wrong", REMOTE_ADDR="10.1.1.1")
    officer = world.persona(Role.OFFICER)
    locked = post_password(Client(), officer.username, REMOTE_ADDR="10.1.1.1")
    assert locked.status_code == 429
    elsewhere = post_password(Client(), officer.username, REMOTE_ADDR="10.2.2.2")
    assert elsewhere.status_code == 302


def test_the_lock_lifts_after_the_cool_off(client: Client, chief: Member) -> None:
    for _ in range(5):
        post_password(client, chief.username, "wrong wrong wrong")
    assert post_password(client, chief.username).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert post_password(client, chief.username).status_code == 302


def test_the_lockout_answers_json_to_api_clients(client: Client, chief: Member) -> None:
    for _ in range(5):
        post_password(client, chief.username, "wrong wrong wrong")
    response = post_password(client, chief.username, HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "locked"
    assert body["error"]["message"]
    until = dt.datetime.fromisoformat(body["error"]["locked_until"])
    assert dt.timedelta(minutes=14) < until - timezone.now() <= dt.timedelta(minutes=15)


def test_the_lockout_page_is_translated(client: Client, chief: Member) -> None:
    for _ in range(5):
        post_password(client, chief.username, "wrong wrong wrong")
    request = RequestFactory().post(LOGIN)
    request.session = client.session  # type: ignore[attr-defined]
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        zh = lockout_response(request, None, {"username": chief.username})
    with translation.override("en"):
        en = lockout_response(request, None, {"username": chief.username})
    assert zh.status_code == en.status_code == 429
    assert 'lang="zh-hans"' in zh.content.decode()
    assert 'lang="en"' in en.content.decode()


# --- The second factor -----------------------------------------------------------------------


def test_a_password_only_session_reaches_only_the_second_factor_and_logout(
    client: Client, chief: Member
) -> None:
    confirmed_device(chief)
    post_password(client, chief.username)
    profile = client.get(reverse("core:profile"))
    assert profile.status_code == 302
    assert profile["Location"].startswith(VERIFY)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get(VERIFY).status_code == 200
    assert client.post(reverse("core:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_right_code_completes_the_login(client: Client, chief: Member) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username)
    before = client.cookies["sessionid"].value
    response = post_code(client, code_for(device))
    assert response.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.cookies["sessionid"].value != before
    assert client.get(reverse("core:profile")).status_code == 200
    assert [e.outcome for e in events("auth.otp")] == ["ok"]


def test_the_code_step_returns_to_the_page_first_asked_for(client: Client, chief: Member) -> None:
    device = confirmed_device(chief)
    first = client.get(reverse("core:profile"))
    assert first["Location"] == "/login/?next=%2Fprofile%2F"
    step1 = client.post(
        LOGIN, {"username": chief.username, "password": PASSWORD, "next": "/profile/"}
    )
    assert step1["Location"] == "/otp/verify/?next=%2Fprofile%2F"
    step2 = client.post(step1["Location"], {"otp_token": code_for(device), "next": "/profile/"})
    assert step2["Location"] == "/profile/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "\\\\evil.example"],
)
def test_next_never_leaves_the_site(client: Client, chief: Member, target: str) -> None:
    device = confirmed_device(chief)
    client.post(LOGIN, {"username": chief.username, "password": PASSWORD, "next": target})
    response = client.post(VERIFY, {"otp_token": code_for(device), "next": target})
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert "javascript" not in response["Location"]


def test_safe_next_keeps_local_paths() -> None:
    request = RequestFactory().get("/login/", {"next": "/profile/?tab=tokens"})
    assert safe_next(request, "/fallback/") == "/profile/?tab=tokens"
    request = RequestFactory().get("/login/", {"next": "http://other.example/"})
    assert safe_next(request, "/fallback/") == "/fallback/"


def test_a_used_code_cannot_be_replayed(client: Client, chief: Member) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username)
    code = code_for(device)
    assert post_code(client, code).status_code == 302
    client.post(reverse("core:logout"))

    again = Client()
    post_password(again, chief.username)
    replay = post_code(again, code)
    assert replay.status_code == 400
    assert "already used" in replay.content.decode()
    assert DEVICE_ID_SESSION_KEY not in again.session
    assert [e.outcome for e in events("auth.otp_failed")] == ["failed"]


def test_five_wrong_codes_lock_like_five_wrong_passwords(
    client: Client, chief: Member, no_backoff: None
) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username)
    for _ in range(4):
        assert post_code(client, wrong_code(device)).status_code == 400
    fifth = post_code(client, wrong_code(device))
    assert fifth.status_code == 429
    # The half-logged-in session is gone, and the password is refused for the cool-off.
    assert "_auth_user_id" not in client.session
    assert post_password(Client(), chief.username).status_code == 429
    assert len(events("auth.otp_failed")) == 5
    assert events("auth.locked")[0].details.count('"factor":"totp"') == 1


def test_wrong_codes_and_wrong_passwords_share_one_counter(
    client: Client, chief: Member, no_backoff: None
) -> None:
    device = confirmed_device(chief)
    for _ in range(3):
        post_password(client, chief.username, "wrong wrong wrong")
    post_password(client, chief.username)
    assert post_code(client, wrong_code(device)).status_code == 400
    assert post_code(client, wrong_code(device)).status_code == 429


def test_logging_in_again_does_not_reset_the_wrong_codes(
    client: Client, chief: Member, no_backoff: None
) -> None:
    device = confirmed_device(chief)
    for _ in range(2):
        post_password(client, chief.username)
        post_code(client, wrong_code(device))
        post_code(client, wrong_code(device))
    post_password(client, chief.username)
    assert post_code(client, wrong_code(device)).status_code == 429


def test_a_complete_login_clears_earlier_failures(client: Client, chief: Member) -> None:
    for _ in range(4):
        post_password(client, chief.username, "wrong wrong wrong")
    full_login(client, chief)
    client.post(reverse("core:logout"))
    # Without the reset these would be failures six to nine.
    for _ in range(4):
        assert post_password(client, chief.username, "wrong wrong wrong").status_code == 400


def test_a_locked_member_cannot_finish_the_second_factor(
    client: Client, chief: Member, no_backoff: None
) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username)
    for n in range(5):
        post_password(Client(), chief.username, "wrong wrong wrong", REMOTE_ADDR=f"10.0.1.{n}")
    response = post_code(client, code_for(device))
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_django_otp_backoff_holds_codes_for_a_moment(client: Client, chief: Member) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username)
    assert post_code(client, wrong_code(device)).status_code == 400
    held = post_code(client, code_for(device))
    assert held.status_code == 400
    assert "Wait a few seconds" in held.content.decode()
    # The held attempt did not count towards the lock.
    assert AccessAttempt.objects.get(username=chief.username).failures_since_start == 1
    # After the back-off the right code passes.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=5)
    )
    assert post_code(client, code_for(device)).status_code == 302


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5x"])
def test_malformed_codes_are_field_errors_and_count_as_failures(
    client: Client, chief: Member, code: str, no_backoff: None
) -> None:
    confirmed_device(chief)
    post_password(client, chief.username)
    response = post_code(client, code)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert AccessAttempt.objects.get(username=chief.username).failures_since_start == 1


def test_spaces_in_a_code_are_forgiven(client: Client, chief: Member) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username)
    code = code_for(device)
    assert post_code(client, f"{code[:3]} {code[3:]}").status_code == 302


def test_the_second_factor_pages_need_a_password_session(client: Client) -> None:
    for url in (VERIFY, ENROL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert client.post(url, {"otp_token": "123456"}).status_code == 302


def test_verify_sends_a_member_without_authenticator_to_enrolment(
    client: Client, chief: Member
) -> None:
    post_password(client, chief.username)
    assert client.get(VERIFY)["Location"] == ENROL


# --- Enrolment -------------------------------------------------------------------------------


def pending_device(client: Client, member: Member) -> TOTPDevice:
    """The authenticator the enrolment page offers (its key waits in the session)."""
    return TOTPDevice(user=member, key=client.session["liuqing_totp_pending_key"])


def test_enrolment_shows_a_qr_code_and_the_key_without_inline_script_or_style(
    client: Client, chief: Member
) -> None:
    post_password(client, chief.username)
    response = client.get(ENROL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    secret = base64.b32encode(pending_device(client, chief).bin_key).decode().rstrip("=")
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body
    assert 'src="data:image/svg+xml' in body
    assert " style=" not in body
    assert "<style" not in body
    assert re.search(r"<script(?![^>]*\bsrc=)", body) is None


def test_showing_the_enrolment_page_writes_nothing_and_keeps_one_key(
    client: Client, chief: Member
) -> None:
    post_password(client, chief.username)
    client.get(ENROL)
    first = client.session["liuqing_totp_pending_key"]
    client.get(ENROL)
    assert client.session["liuqing_totp_pending_key"] == first
    assert not TOTPDevice.objects.filter(user=chief).exists()


def test_enrolment_is_confirmed_by_the_first_code(client: Client, chief: Member) -> None:
    post_password(client, chief.username)
    client.get(ENROL)
    pending = pending_device(client, chief)
    code = code_for(pending)
    response = post_code(client, code, ENROL)
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=chief)
    assert device.confirmed
    assert device.key == pending.key
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "liuqing_totp_pending_key" not in client.session
    assert client.get(reverse("core:profile")).status_code == 200
    assert len(events("auth.otp_enrol")) == 1
    # The enrolment code cannot open the next login either.
    client.post(reverse("core:logout"))
    post_password(client, chief.username)
    assert post_code(client, code).status_code == 400


def test_a_wrong_first_code_enrols_nothing_and_counts(client: Client, chief: Member) -> None:
    post_password(client, chief.username)
    client.get(ENROL)
    response = post_code(client, wrong_code(pending_device(client, chief)), ENROL)
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=chief).exists()
    assert AccessAttempt.objects.get(username=chief.username).failures_since_start == 1
    assert len(events("auth.otp_failed")) == 1


def test_five_wrong_first_codes_lock(client: Client, chief: Member) -> None:
    post_password(client, chief.username)
    client.get(ENROL)
    pending = pending_device(client, chief)
    for _ in range(4):
        assert post_code(client, wrong_code(pending), ENROL).status_code == 400
    assert post_code(client, wrong_code(pending), ENROL).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_member_with_an_authenticator_cannot_enrol_another(client: Client, chief: Member) -> None:
    confirmed_device(chief)
    post_password(client, chief.username)
    assert client.get(ENROL)["Location"] == VERIFY
    assert client.post(ENROL, {"otp_token": "123456"})["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=chief).count() == 1


# --- Logout ----------------------------------------------------------------------------------


def test_logout_by_get_changes_nothing(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    response = client.get(reverse("core:logout"))
    assert response.status_code == 405
    assert client.get(reverse("core:profile")).status_code == 200


def test_logout_ends_the_session_on_the_server(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    key = client.session.session_key
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not Session.objects.filter(session_key=key).exists()
    (event,) = events("auth.logout")
    assert event.member_id_value == chief.pk
    # The old cookie no longer opens anything.
    stale = Client()
    stale.cookies["sessionid"] = key
    assert stale.get(reverse("core:profile")).status_code == 302


def test_logout_needs_the_csrf_token(chief: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    login_verified(client, chief)
    assert client.post(reverse("core:logout")).status_code == 403
    assert client.get(reverse("core:profile")).status_code == 200


def test_the_login_form_needs_the_csrf_token(chief: Member) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post_password(client, chief.username).status_code == 403


# --- The guard -------------------------------------------------------------------------------


def _view_raising(exc: Exception) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        raise exc

    return view


def test_html_errors_turns_access_errors_into_404_and_403() -> None:
    request = RequestFactory().get("/x/")
    with pytest.raises(Http404):
        html_errors(_view_raising(NotFound()))(request)
    with pytest.raises(PermissionDenied):
        html_errors(_view_raising(AccessDenied()))(request)


def test_staff_required_guards_and_bridges_access_errors(chief: Member) -> None:
    @staff_required
    def view(request: HttpRequest, outcome: str) -> HttpResponse:
        if outcome == "missing":
            raise NotFound
        if outcome == "read-only":
            raise AccessDenied
        return HttpResponse("in")

    request = RequestFactory().get("/somewhere/?a=1")
    request.user = AnonymousUser()
    response = view(request, "in")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fsomewhere%2F%3Fa%3D1"

    request.user = chief
    chief.is_verified = lambda: False  # type: ignore[attr-defined]  # as OTPMiddleware sets it
    response = view(request, "in")
    assert response["Location"] == "/otp/enrol/?next=%2Fsomewhere%2F%3Fa%3D1"

    chief.is_verified = lambda: True  # type: ignore[attr-defined]
    assert view(request, "in").content == b"in"
    with pytest.raises(Http404):
        view(request, "missing")
    with pytest.raises(PermissionDenied):
        view(request, "read-only")


def test_an_expired_htmx_request_navigates_the_whole_page_to_login(client: Client) -> None:
    response = client.get(
        reverse("core:profile"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/profile/",
    )
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/login/?next=")


def test_a_post_without_login_returns_to_home_not_to_the_post_url(client: Client) -> None:
    response = client.post(reverse("core:token_create"), {"name": "x", "days": "3"})
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_the_mixin_guards_class_based_views(chief: Member) -> None:
    class Page(StaffRequiredMixin, View):
        def get(self, request: HttpRequest) -> HttpResponse:
            raise NotFound

    view = Page.as_view()
    request = RequestFactory().get("/page/")
    request.user = AnonymousUser()
    assert view(request)["Location"] == "/login/?next=%2Fpage%2F"
    request.user = chief
    chief.is_verified = lambda: True  # type: ignore[attr-defined]
    with pytest.raises(Http404):
        view(request)


def test_a_member_deactivated_mid_session_is_logged_out(client: Client, chief: Member) -> None:
    login_verified(client, chief)
    Member.objects.filter(pk=chief.pk).update(is_active=False)
    response = client.get(reverse("core:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_audit_never_holds_passwords_or_codes(
    client: Client, chief: Member, no_backoff: None
) -> None:
    device = confirmed_device(chief)
    post_password(client, chief.username, "my secret attempt 77")
    post_password(client, chief.username)
    bad = wrong_code(device)
    post_code(client, bad)
    good = code_for(device)
    post_code(client, good)
    logged = AuditEvent.objects.filter(action__startswith="auth.")
    assert logged.count() >= 4
    dump = json.dumps([[e.details, e.reason, e.object_id] for e in logged])
    for secret in ("my secret attempt 77", PASSWORD, bad, good):
        assert secret not in dump
