"""The audit chain: tampering and deletion are detected, and a change without its audit record
does not happen."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, connection

from liuqing.core import audit, services
from liuqing.core.models import AuditEvent, AuditHead, Member, Place, Role, UnitKind
from liuqing.core.testing import World

from .structure_helpers import audit_writes_fail, member, place, root


def test_an_untouched_chain_verifies(world: World) -> None:
    result = audit.verify_chain()
    assert result.ok
    assert result.checked == AuditEvent.objects.count() > 10


def test_an_altered_event_breaks_the_chain(world: World) -> None:
    victim = AuditEvent.objects.get(seq=5)
    AuditEvent.objects.filter(pk=victim.pk).update(reason="nothing to see")
    result = audit.verify_chain()
    assert not result.ok
    assert any("event 5" in p and "altered" in p for p in result.problems)


def test_an_altered_event_with_a_recomputed_digest_breaks_the_next_link(world: World) -> None:
    victim = AuditEvent.objects.get(seq=5)
    victim.action = "unit.forged"
    victim.digest = audit.compute_digest(victim.prev_digest, victim)
    victim.save()
    result = audit.verify_chain()
    assert any("event 6" in p and "link" in p for p in result.problems)


def test_altering_a_row_directly_in_the_database_is_detected(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET member_username = 'someone' WHERE seq = 3")
    assert not audit.verify_chain().ok


def test_a_deleted_event_in_the_middle_is_detected(world: World) -> None:
    AuditEvent.objects.filter(seq=4).delete()
    result = audit.verify_chain()
    assert not result.ok
    assert any("missing" in p for p in result.problems)


def test_deleting_the_newest_events_is_detected_through_the_head(world: World) -> None:
    last = AuditHead.objects.get(pk=1).seq
    AuditEvent.objects.filter(seq__gt=last - 2).delete()
    result = audit.verify_chain()
    assert not result.ok
    assert any("head" in p for p in result.problems)


def test_every_structure_write_appends_one_linked_event(world: World) -> None:
    chief = world.persona(Role.STATION_CHIEF)
    root(world)
    before = AuditHead.objects.get(pk=1).seq
    target = member(world, "C1", "linked")
    services.update_member(actor=chief, member=target, full_name="新名")
    place(world, "S1", "一村")
    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.action for e in events] == ["member.create", "member.update", "place.create"]
    assert all(e.prev_digest == p.digest for p, e in itertools.pairwise(events))
    assert events[1].unit_path == world.units["C1"].path
    assert audit.verify_chain().ok


def test_a_failed_audit_write_rolls_back_the_change(world: World) -> None:
    """A real trigger makes the audit insert fail (SQLite or PostgreSQL alike)."""
    chief = world.persona(Role.STATION_CHIEF)
    root(world)
    head = AuditHead.objects.get(pk=1).seq
    with audit_writes_fail():
        with pytest.raises(DatabaseError):
            services.create_unit(
                actor=chief,
                parent=world.units["S1"],
                kind=UnitKind.COMMUNITY,
                code="R-1",
                name="never",
            )
        with pytest.raises(DatabaseError):
            member(world, "S1", "never_born")
        with pytest.raises(DatabaseError):
            place(world, "S1", "never_placed")
    assert not Member.objects.filter(username="never_born").exists()
    assert not Place.objects.exists()
    assert AuditHead.objects.get(pk=1).seq == head
    assert audit.verify_chain().ok
