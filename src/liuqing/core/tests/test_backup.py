"""Backup and restore: a round trip gives back identical content, on SQLite and PostgreSQL.

The in-process round trip runs on whatever database the suite uses (SQLite, or PostgreSQL
when DATABASE_URL says so). The command-line round trip always uses a SQLite file database in
a temporary directory, through real `liuqing` processes.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from liuqing import cli
from liuqing.core import audit, backup, services
from liuqing.core.models import AuditEvent, Member, Role, Team, TeamPosition, Unit
from liuqing.core.testing import World, make_member


def build_content(world: World) -> None:
    """Rows in most tables: members with phones, a team, audit events."""
    s1 = world.units["S1"]
    officer = make_member(s1, [Role.OFFICER], "bk_officer")
    aux = make_member(s1, [Role.AUXILIARY], "bk_aux")
    for member, phone in ((officer, "13800000001"), (aux, "13800000002")):
        member.phone = phone
        member.save()
    chief = world.persona(Role.STATION_CHIEF)
    services.create_team(
        actor=chief,
        unit=s1,
        name="备份测试队",
        members=[(officer, TeamPosition.OFFICER), (aux, TeamPosition.AUXILIARY)],
    )


def mess_up() -> None:
    """Change, delete and add rows in several tables."""
    Team.objects.all().delete()
    Member.objects.filter(username="bk_aux").delete()
    Unit.objects.filter(code="T654002-01-01-01").update(name="改过的网格")
    audit.record("test.after_backup")


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_to_identical_content(world: World, tmp_path: Path) -> None:
    build_content(world)
    before = backup.table_digests()
    result = backup.backup(tmp_path / "db.backup")
    assert result.vendor == connection.vendor
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600

    mess_up()
    assert backup.table_digests() != before

    assert backup.restore(result.path) == connection.vendor
    assert backup.table_digests() == before
    assert audit.verify_chain().ok
    assert Member.objects.get(username="bk_officer").phone.reveal() == "+8613800000001"
    assert not AuditEvent.objects.filter(action="test.after_backup").exists()


@pytest.mark.django_db(transaction=True)
def test_the_backup_and_restore_commands_work_in_process(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_content(world)
    before = backup.table_digests()
    target = tmp_path / "cli.backup"
    assert cli.main(["backup", str(target)]) == 0
    assert "key ring" in capsys.readouterr().out
    mess_up()
    assert cli.main(["restore", "--yes", str(target)]) == 0
    assert f"Restored the {connection.vendor} database" in capsys.readouterr().out
    assert backup.table_digests() == before
    assert cli.main(["restore", "--yes", str(tmp_path / "missing")]) == 1
    assert "No backup file" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_a_backup_into_a_directory_is_named_by_the_time(world: World, tmp_path: Path) -> None:
    result = backup.backup(f"{tmp_path}/nightly/")
    assert result.path.parent == tmp_path / "nightly"
    assert result.path.name.startswith("liuqing-")
    suffix = ".sqlite3" if connection.vendor == "sqlite" else ".pgdump"
    assert result.path.name.endswith(suffix)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_backup_of_this_kind_of_database(
    tmp_path: Path,
) -> None:
    other = tmp_path / "other"
    if connection.vendor == "sqlite":
        other.write_bytes(backup.PGDUMP_MAGIC + b"\x01\x0e\x00")
    else:
        other.write_bytes(backup.SQLITE_MAGIC + b"\x00" * 100)
    with pytest.raises(backup.BackupError, match="restore it into the same kind"):
        backup.restore(other)
    junk = tmp_path / "junk"
    junk.write_text("hello")
    with pytest.raises(backup.BackupError, match="not a Liuqing backup"):
        backup.restore(junk)
    with pytest.raises(backup.BackupError, match="No backup file"):
        backup.restore(tmp_path / "missing")
    assert Unit.objects.count() == 0  # nothing was touched


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_sqlite_database_that_is_not_liuqing(tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.sqlite3"
    conn = sqlite3.connect(stranger)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    # On SQLite it is recognised as a stranger; on PostgreSQL as the wrong kind of backup.
    expected = "not a Liuqing backup" if connection.vendor == "sqlite" else "same kind"
    with pytest.raises(backup.BackupError, match=expected):
        backup.restore(stranger)


# --- Through the command line, on a SQLite file ------------------------------------------


def liuqing(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liuqing", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def sqlite_digest(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)  # noqa: S608
            for t in tables
        }
    finally:
        conn.close()


@pytest.fixture
def file_db_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "LIUQING_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        LIUQING_TESTING="1",  # the suite's key ring and fast password hasher
        LIUQING_VAR_DIR=str(tmp_path / "var"),
        LIUQING_ADMIN_PASSWORD="a long enough demo admin passphrase",
    )
    return env


def test_the_command_line_round_trip_on_a_sqlite_file(
    tmp_path: Path, file_db_env: dict[str, str]
) -> None:
    env = file_db_env
    live = tmp_path / "live.sqlite3"
    assert liuqing(["migrate", "-v0"], env).returncode == 0
    made = liuqing(
        ["createadmin", "--no-input", "--username", "root", "--full-name", "管理员",
         "--root-code", "654000", "--root-name", "伊犁边境管理支队"],
        env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    before = sqlite_digest(live)

    done = liuqing(["backup", str(tmp_path / "backups") + "/"], env)
    assert done.returncode == 0, done.stderr
    [copy] = (tmp_path / "backups").iterdir()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600

    conn = sqlite3.connect(live)
    conn.execute("UPDATE core_unit SET name = 'changed'")
    conn.execute("DELETE FROM core_memberrole")
    conn.commit()
    conn.close()
    assert sqlite_digest(live) != before

    refused = liuqing(["restore", str(copy)], env)  # no terminal, no --yes
    assert refused.returncode != 0
    assert "--yes" in refused.stderr

    restored = liuqing(["restore", "--yes", str(copy)], env)
    assert restored.returncode == 0, restored.stderr
    assert sqlite_digest(live) == before
    verified = liuqing(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
