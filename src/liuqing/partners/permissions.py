"""Permission-matrix declarations of partners and alerts (see liuqing.core.matrix).

Targets are made through the real services by a station chief of the target unit, the marker
in the partner's name, the group's name or the alert's headline. The partners' pages (/pp/)
and the public CAP messages and feed need no staff login (`PUBLIC`): the partner pages act
only for the partner signed in with a one-time code (tests/test_views.py), and the
CAP pages show public alerts only. So do the partners' own API operations (pp_…), which take
a partner's session token and refuse staff credentials (tests/test_pp_api.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from liuqing.core.access import CHANGE
from liuqing.core.matrix import Route, TargetFactory
from liuqing.core.models import Unit
from liuqing.partners.policies import ALERT, PARTNER, PARTNER_GROUP

Kwargs = dict[str, Any]
POST = "POST"


def _partner(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    from liuqing.partners.testing import make_group, make_partner

    partner = make_partner(make_group(unit, f"G{marker}"), name=marker)
    return {"pk": partner.pk}, marker


def _group(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    from liuqing.partners.testing import make_group

    return {"pk": make_group(unit, marker).pk}, marker


def _group_endpoint(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    from liuqing.partners import services
    from liuqing.partners.testing import chief_of, make_group

    group = make_group(unit, f"G{marker}")
    endpoint = services.add_group_endpoint(
        actor=chief_of(unit),
        group=group,
        channel="webhook",
        name=marker,
        url="https://example.org/hook",
        secret="matrix-secret",  # noqa: S106  (test data)
    )
    return {"pk": group.pk, "eid": endpoint.pk}, marker


def _alert(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    from liuqing.partners import services
    from liuqing.partners.testing import alert_input, chief_of

    alert = services.save_alert(
        actor=chief_of(unit),
        unit=unit,
        data=alert_input(texts={"zh-hans": (marker, "描述", "")}, circle="43.9,81.3 5"),
    )
    return {"pk": alert.pk}, marker


def _issued_alert(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    from liuqing.partners.testing import issued_alert

    alert = issued_alert(unit, texts={"zh-hans": (marker, "描述", "")}, circle="43.9,81.3 5")
    return {"pk": alert.pk}, marker


def _sighting_photo(world: Any, unit: Unit, marker: str) -> tuple[Kwargs, str]:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from liuqing.partners import services
    from liuqing.partners.testing import deliver_all, issued_alert, make_group, make_partner

    group = make_group(unit, f"G{marker}")
    partner = make_partner(group, name=marker)
    alert = issued_alert(unit, groups=[group])
    deliver_all()
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), "blue").save(buf, format="PNG")
    reply = services.report_sighting(
        partner=partner,
        alert=alert,
        text=marker,
        photo=SimpleUploadedFile("s.png", buf.getvalue(), content_type="image/png"),
    )
    return {"pk": reply.pk}, marker


TARGETS: dict[str, TargetFactory] = {
    "sighting_photo": _sighting_photo,
    "partner": _partner,
    "partner_group": _group,
    "group_endpoint": _group_endpoint,
    "alert": _alert,
    "issued_alert": _issued_alert,
}


def _expires() -> str:
    return (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def _group_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {"unit": unit.pk, "name": "矩阵群"}


def _alert_form(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "unit": unit.pk,
        "kind": "livestock",
        "scope": "Restricted",
        "expires_at": _expires(),
        "circle": "43.9,81.3 5",
        "headline_zh_hans": "矩阵",
        "description_zh_hans": "矩阵描述",
    }


def _alert_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {
        "unit": unit.pk,
        "kind": "livestock",
        "expires_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        "circle": "43.9,81.3 5",
        "texts": {"zh-hans": {"headline": "矩阵", "description": "矩阵描述"}},
    }


def _update_api(world: Any, unit: Unit, kwargs: Kwargs) -> Kwargs:
    return {**_alert_api(world, unit, kwargs), "note": "更新"}


ROUTES: list[Route] = [
    Route(name="partners:list", kind=PARTNER, lists="partner"),
    Route(
        name="partners:partner_status",
        kind=PARTNER,
        action=CHANGE,
        method=POST,
        target="partner",
        data=lambda w, u, k: {"status": "paused"},
    ),
    Route(name="partners:groups", kind=PARTNER_GROUP, lists="partner_group"),
    Route(
        name="partners:groups",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method=POST,
        data=_group_form,
        unit_param="unit",
    ),
    Route(name="partners:group", kind=PARTNER_GROUP, target="partner_group"),
    Route(
        name="partners:group",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method=POST,
        target="partner_group",
        data=lambda w, u, k: {"renew": "1"},
    ),
    Route(name="partners:group_qr", kind=PARTNER_GROUP, target="partner_group"),
    Route(name="partners:group_endpoint", kind=PARTNER_GROUP, target="group_endpoint"),
    Route(
        name="partners:group_endpoint",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method=POST,
        target="group_endpoint",
        data=lambda w, u, k: {"action": "edit", "name": "矩阵机器人", "is_active": "on"},
    ),
    Route(name="partners:alerts", kind=ALERT, lists="alert"),
    Route(name="partners:alert_new", kind=ALERT, action=CHANGE),
    Route(
        name="partners:alert_new",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        data=_alert_form,
        unit_param="unit",
    ),
    Route(name="partners:alert", kind=ALERT, target="alert"),
    Route(name="partners:alert_edit", kind=ALERT, target="alert"),
    Route(
        name="partners:alert_edit",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        target="alert",
        data=_alert_form,
    ),
    Route(
        name="partners:alert_action",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        target="alert",
        data=lambda w, u, k: {"action": "issue"},
    ),
    Route(name="partners:sighting_photo", kind=ALERT, target="sighting_photo"),
    Route(name="list_partners", kind=PARTNER, lists="partner", api=True),
    Route(name="list_partner_groups", kind=PARTNER_GROUP, lists="partner_group", api=True),
    Route(
        name="create_partner_group",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method=POST,
        data=_group_form,
        unit_param="unit",
        api=True,
    ),
    Route(name="list_group_endpoints", kind=PARTNER_GROUP, target="partner_group", api=True),
    Route(
        name="create_group_endpoint",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method=POST,
        target="partner_group",
        data=lambda w, u, k: {
            "channel": "webhook",
            "name": "矩阵",
            "url": "https://example.org/hook",
            "secret": "matrix-secret",
        },
        api=True,
    ),
    Route(
        name="update_group_endpoint",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method="PATCH",
        target="group_endpoint",
        data=lambda w, u, k: {"name": "矩阵二", "is_active": False},
        api=True,
    ),
    Route(
        name="rotate_group_endpoint_secret",
        kind=PARTNER_GROUP,
        action=CHANGE,
        method=POST,
        target="group_endpoint",
        data=lambda w, u, k: {"secret": "rotated-secret"},
        api=True,
    ),
    Route(name="list_alerts", kind=ALERT, lists="alert", api=True),
    Route(
        name="create_alert",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        data=_alert_api,
        unit_param="unit",
        api=True,
    ),
    Route(name="get_alert", kind=ALERT, target="alert", api=True),
    Route(name="issue_alert", kind=ALERT, action=CHANGE, method=POST, target="alert", api=True),
    Route(
        name="update_alert",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        target="issued_alert",
        data=_update_api,
        api=True,
    ),
    Route(
        name="cancel_alert",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        target="issued_alert",
        data=lambda w, u, k: {"note": "误报"},
        api=True,
    ),
    Route(
        name="resolve_alert",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        target="issued_alert",
        data=lambda w, u, k: {"note": "已找到"},
        api=True,
    ),
    Route(
        name="redrive_alert",
        kind=ALERT,
        action=CHANGE,
        method=POST,
        target="issued_alert",
        api=True,
    ),
]

PUBLIC: set[str] = {
    "partners:pp_home",
    "partners:pp_join",
    "partners:pp_join_code",
    "partners:pp_signin",
    "partners:pp_code",
    "partners:pp_signout",
    "partners:pp_alert",
    "partners:pp_tip",
    "partners:pp_status",
    "partners:pp_leave_group",
    "partners:cap",
    "partners:feed",
    # The partners' own API (/api/v1/partners/pp/…): no staff login, a partner's session
    # token instead (liuqing.partners.pp_api.PartnerAuth); staff tokens get 401 there and
    # partner tokens 401 on the staff API (tests/test_pp_api.py).
    "pp_request_code",
    "pp_sign_in",
    "pp_sign_out",
    "pp_me",
    "pp_list_alerts",
    "pp_get_alert",
    "pp_acknowledge_alert",
    "pp_report_sighting",
    "pp_tip_options",
    "pp_send_tip",
    "pp_list_reports",
    "pp_join_group",
    "pp_leave_group",
    "pp_pause",
    "pp_resume",
    "pp_leave",
}
