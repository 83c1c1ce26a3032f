"""Matrix routes of the authentication and profile pages (owned with core/views/auth.py) and
of /api/v1/me (core/api_me.py).

Public here means "reachable before the second factor": the login page, the two TOTP pages
(which need a password-authenticated session and enforce that themselves, see
core/tests/test_auth.py) and logout (which must work at any stage). Everything else acts on
the member themselves only (`self_only`).
"""

from __future__ import annotations

from typing import Any

from liuqing.core import services
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Role, Unit
from liuqing.core.testing import make_member


def _someone_elses_token(world: Any, unit: Unit, marker: str) -> tuple[dict[str, Any], str]:
    """A token of a member who is none of the personas: revoking it must answer 404 to all."""
    owner = make_member(unit, [Role.OFFICER], f"owner_{marker}".lower())
    token, _secret = services.create_api_token(actor=owner, name=marker)
    return {"token_id": token.pk}, marker


def _wrong_password(world: Any, unit: Unit, kwargs: dict[str, Any]) -> dict[str, Any]:
    # A refused change: the matrix checks access, and must not change personas' passwords.
    return {
        "current_password": "not the password at all",
        "new_password": "a brand new passphrase 42",
        "new_password_again": "a brand new passphrase 42",
    }


def _new_token(world: Any, unit: Unit, kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"name": "matrix", "days": 7}


PUBLIC: set[str] = {"core:login", "core:logout", "core:otp_verify", "core:otp_enrol"}

ROUTES: list[Route] = [
    Route(name="core:profile", kind=None, self_only=True),
    Route(
        name="core:password_change",
        kind=None,
        method="POST",
        self_only=True,
        data=_wrong_password,
    ),
    Route(name="core:token_create", kind=None, method="POST", self_only=True, data=_new_token),
    # Without a token id in the body: 400, never 403/404 for a verified member.
    Route(name="core:token_revoke", kind=None, method="POST", self_only=True),
    Route(name="liuqing_core_api_me_me", kind=None, api=True, self_only=True),
    Route(name="liuqing_core_api_me_list_tokens", kind=None, api=True, self_only=True),
    Route(
        name="liuqing_core_api_me_create_token",
        kind=None,
        api=True,
        method="POST",
        self_only=True,
        data=_new_token,
    ),
    # Aimed at another member's token: 404 for every role.
    Route(
        name="liuqing_core_api_me_revoke_token",
        kind=None,
        api=True,
        method="DELETE",
        self_only=True,
        target="api_token",
    ),
]

TARGETS: dict[str, TargetFactory] = {"api_token": _someone_elses_token}
