"""The public Atom feed checked against RFC 4287's rules (parsed with lxml): the feed's id,
title, updated time, author and rel=self link; each entry's id, title, updated time and
alternate link to its CAP message (which answers); valid RFC 3339 dates; only current
public alerts, each once, at its latest version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from lxml import etree

from liuqing.core.testing import World
from liuqing.partners import cap, services
from liuqing.partners.testing import alert_input, chief_of, issued_alert, make_group

pytestmark = pytest.mark.django_db
ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def rfc3339(text: str) -> dt.datetime:
    assert RFC3339.match(text), text
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed


def one(element: Any, path: str) -> Any:
    found = element.xpath(path, namespaces=NS)
    assert len(found) == 1, f"{path}: {len(found)} found"
    return found[0]


def absolute_iri(text: str) -> str:
    parts = urlsplit(text)
    assert parts.scheme in ("http", "https"), text
    assert parts.netloc, text
    return text


def check_feed(response: Any) -> tuple[Any, list[Any]]:
    """RFC 4287 §4.1.1 (atom:feed) and §4.1.2 (atom:entry), as far as this feed uses them."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{ATOM}}}feed"
    absolute_iri(one(root, "a:id").text)
    assert one(root, "a:title").text.strip()
    feed_updated = rfc3339(one(root, "a:updated").text)
    self_link = one(root, "a:link[@rel='self']")
    assert urlsplit(absolute_iri(self_link.get("href"))).path == "/cap/feed.atom"
    entries = root.xpath("a:entry", namespaces=NS)
    feed_author = root.xpath("a:author/a:name/text()", namespaces=NS)
    ids = []
    for entry in entries:
        entry_id = absolute_iri(one(entry, "a:id").text)
        ids.append(entry_id)
        assert one(entry, "a:title").text.strip()
        updated = rfc3339(one(entry, "a:updated").text)
        assert updated <= feed_updated
        # Without atom:content an entry needs an alternate link (§4.1.1.1, §4.1.2).
        alternates = entry.xpath("a:link[not(@rel) or @rel='alternate']", namespaces=NS)
        assert alternates
        kinds = [(link.get("type"), link.get("hreflang")) for link in alternates]
        assert len(kinds) == len(set(kinds))  # no two alternates of one type and language
        (cap_link,) = [link for link in alternates if link.get("type") == cap.CAP_CONTENT_TYPE]
        assert cap_link.get("href") == entry_id  # the entry id is the stable CAP URL
        message = Client().get(urlsplit(cap_link.get("href")).path)
        assert message.status_code == 200
        assert cap.validate(message.content) == []
        # An author at the feed level, or in every entry (§4.1.1).
        names = entry.xpath("a:author/a:name/text()", namespaces=NS)
        assert feed_author or (names and names[0].strip())
    assert len(ids) == len(set(ids))
    if not entries:
        assert feed_author
        assert feed_author[0].strip()
    return root, entries


def test_an_empty_feed_is_valid_atom(world: World) -> None:
    root, entries = check_feed(Client().get("/cap/feed.atom"))
    assert entries == []
    assert root.xpath("a:author/a:name/text()", namespaces=NS)


def test_the_feed_lists_current_public_alerts_at_their_latest_version(world: World) -> None:
    unit = world.units["S1"]
    chief = chief_of(unit)
    group = make_group(unit)
    public = issued_alert(
        unit,
        actor=chief,
        scope="Public",
        circle="43.9,81.3 5",
        texts={"zh-hans": ("冒充客服诈骗 <警惕>", "有人冒充快递客服 & 要求转账", "")},
    )
    services.update_alert(
        actor=chief,
        alert=public,
        data=alert_input(
            kind=public.kind,
            scope="Public",
            circle="43.9,81.3 8",
            texts={"zh-hans": ("冒充客服诈骗（更新）", "范围扩大", "")},
        ),
        note="扩大范围",
    )
    second = issued_alert(unit, actor=chief, scope="Public", groups=[group])
    restricted = issued_alert(unit, actor=chief, groups=[group])
    resolved = issued_alert(unit, actor=chief, scope="Public", groups=[group])
    services.resolve_alert(actor=chief, alert=resolved, note="已处理")

    root, entries = check_feed(Client().get("/cap/feed.atom"))
    by_id = {one(e, "a:id").text: e for e in entries}
    latest = public.versions.order_by("-number").first()
    assert latest is not None
    assert latest.number == 2
    urls = {urlsplit(u).path for u in by_id}
    assert urls == {
        f"/cap/alerts/{latest.identifier}.xml",
        f"/cap/alerts/{second.versions.get().identifier}.xml",
    }
    entry = next(e for u, e in by_id.items() if latest.identifier in u)
    assert one(entry, "a:title").text == "冒充客服诈骗（更新）"
    assert rfc3339(one(entry, "a:updated").text) == latest.sent.replace(microsecond=0)
    newest = max(rfc3339(one(e, "a:updated").text) for e in entries)
    assert rfc3339(one(root, "a:updated").text) == newest
    text = etree.tostring(root, encoding="unicode")
    for alert in (restricted, resolved):
        for version in alert.versions.all():
            assert version.identifier not in text
