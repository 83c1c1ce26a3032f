"""/api/v1/me: the acting member, and their own API tokens.

Every operation acts on the caller only; a token id that is not the caller's answers 404, the
same as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, P, PathEx, Router, Schema, Status
from pydantic import field_validator

from liuqing.core import services
from liuqing.core.access import NotFound
from liuqing.core.api import api_actor
from liuqing.core.models import ApiToken, Member

router = Router(tags=["me"])

DB_MAX_ID = 2**63 - 1  # larger ids would overflow the database integer, not just miss


class UnitOut(Schema):
    id: int
    code: str
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    unit: UnitOut
    roles: list[str]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    usable: bool


class TokenCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=64)
    days: int = Field(
        default_factory=lambda: settings.API_TOKEN_DEFAULT_DAYS,
        ge=1,
        le=settings.API_TOKEN_MAX_DAYS,
        description="Days until the token expires.",
    )

    @field_validator("name")
    @classmethod
    def no_control_characters(cls, value: str) -> str:
        if any(ord(c) < 32 for c in value):
            raise ValueError(_("The name cannot contain control characters."))
        return value


class TokenCreatedOut(Schema):
    token: TokenOut
    secret: str = Field(..., description="The bearer secret. Shown only in this answer.")


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        usable=token.is_usable,
    )


def _bearer_token(request: HttpRequest, member: Member) -> ApiToken | None:
    """The token this request authenticated with, or None for a session."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(services.TOKEN_PREFIX):
        return None
    prefix = secret[len(services.TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.filter(prefix=prefix, member=member).first()
    if token is None or not secrets.compare_digest(token.digest, services.token_digest(secret)):
        return None
    return token


@router.get("", response=MeOut, summary="The acting member")
def me(request: HttpRequest) -> MeOut:
    member = api_actor(request)
    unit = member.unit
    return MeOut(
        id=member.pk,
        username=member.username,
        full_name=member.full_name,
        unit=UnitOut(id=unit.pk, code=unit.code, name=unit.name, kind=unit.kind),
        roles=sorted(member.role_set),
    )


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request: HttpRequest) -> list[TokenOut]:
    tokens = ApiToken.objects.filter(member=api_actor(request)).order_by("-created_at")
    return [_token_out(t) for t in tokens]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Status[TokenCreatedOut]:
    """Create a token acting as the caller; the secret is in this answer and nowhere else.

    Why this keeps "every login path needs a second factor": the API accepts only a session
    that passed TOTP, or a bearer token. Every token is born either on the profile page or
    here, and in both places the caller is a TOTP-verified session or an existing token, so by
    induction every token descends from a TOTP login. A token may create another, for
    rotation, but never one that outlives itself: the chain always ends within
    API_TOKEN_MAX_DAYS of the last TOTP login, and a stolen token cannot be used to mint a
    longer-lived one. Deactivating the member revokes all their tokens.
    """
    member = api_actor(request)
    days = payload.days
    parent = _bearer_token(request, member)
    if parent is not None:
        left = (parent.expires_at - timezone.now()) / dt.timedelta(days=1)
        if days > math.floor(left):
            raise ValidationError(
                {
                    "days": [
                        _("A token cannot create one that outlives itself: at most %(n)d days.")
                        % {"n": max(0, math.floor(left))}
                    ]
                }
            )
    token, secret = services.create_api_token(actor=member, name=payload.name, days=days)
    return Status(201, TokenCreatedOut(token=_token_out(token), secret=secret))


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke one of my API tokens")
def revoke_token(request: HttpRequest, token_id: PathEx[int, P(ge=1, le=DB_MAX_ID)]) -> TokenOut:
    member = api_actor(request)
    token = ApiToken.objects.filter(pk=token_id, member=member).first()
    if token is None:
        raise NotFound
    if token.revoked_at is None:
        token = services.revoke_api_token(actor=member, token=token)
    return _token_out(token)
