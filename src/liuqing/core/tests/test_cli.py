"""The `liuqing` command: in-process through cli.main, and as real processes.

A command run through cli.main closes the database connections when it ends (as manage.py
does); on PostgreSQL that would end a test's own transaction, so tests that call it and then
look at the database run outside one (`transaction=True`).
"""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import django
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings

from liuqing import cli
from liuqing.core import demo
from liuqing.core.management.commands import serve
from liuqing.core.management.commands.otp import current_code
from liuqing.core.models import AuditEvent, Member, Role, Unit
from liuqing.core.testing import World

in_process_command = pytest.mark.django_db(transaction=True)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh checkout: no database URL, no key ring, var/ in tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "LIUQING_"))}
    env.pop("DEBUG", None)
    env["LIUQING_VAR_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


def liuqing(
    args: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liuqing", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- Dispatch --------------------------------------------------------------------------------


def test_liuqing_without_arguments_lists_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "seed", "migrate", "createadmin", "backup",
                    "restore", "audit verify", "check", "keys init", "otp USERNAME"):  # fmt: skip
        assert command in out
    assert cli.main(["--help"]) == 0


def test_other_subcommands_pass_through_to_django(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out.strip() == django.get_version()


def test_an_unknown_subcommand_fails_with_django_s_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["no-such-command"]) == 1
    assert "Unknown command" in capsys.readouterr().err


def test_the_otp_help_says_it_is_for_the_demo_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["help", "otp"]) == 0
    assert "FOR THE DEMO ONLY" in capsys.readouterr().out


# --- serve -----------------------------------------------------------------------------------


def test_serve_picks_a_sane_number_of_gunicorn_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert serve.default_workers(cpus=1, vendor="sqlite") == 3
    assert serve.default_workers(cpus=2, vendor="sqlite") == 4
    assert serve.default_workers(cpus=32, vendor="sqlite") == 4
    assert serve.default_workers(cpus=2, vendor="postgresql") == 5
    assert serve.default_workers(cpus=32, vendor="postgresql") == 8
    monkeypatch.setenv("WEB_CONCURRENCY", "6")
    assert serve.default_workers(cpus=2, vendor="sqlite") == 6
    argv = serve.gunicorn_argv("127.0.0.1:9000", 3)
    assert argv[1:4] == ["-m", "gunicorn", "liuqing.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert argv[argv.index("--workers") + 1] == "3"


# --- otp -------------------------------------------------------------------------------------


@in_process_command
def test_otp_prints_a_code_the_device_accepts_in_demo_mode(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    member = world.persona(Role.OFFICER)
    device = TOTPDevice.objects.create(user=member, name="demo", confirmed=True)
    monkeypatch.setenv("LIUQING_DEMO", "1")
    assert cli.main(["otp", member.username, "--uri"]) == 0
    out = capsys.readouterr().out
    assert "otpauth://totp/" in out
    code = out.strip().splitlines()[-1].split()[0]
    assert len(code) == 6
    assert code.isdigit()
    assert TOTPDevice.objects.get(pk=device.pk).verify_token(code)
    # and a code is good once only
    assert not TOTPDevice.objects.get(pk=device.pk).verify_token(code)


@in_process_command
def test_otp_refuses_outside_the_demo(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LIUQING_DEMO", raising=False)
    member = world.persona(Role.OFFICER)
    TOTPDevice.objects.create(user=member, name="demo", confirmed=True)
    assert cli.main(["otp", member.username]) == 1
    assert "demo only" in capsys.readouterr().err


@in_process_command
def test_otp_says_when_a_member_has_no_confirmed_device(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIUQING_DEMO", "1")
    assert cli.main(["otp", world.persona(Role.OFFICER).username]) == 1
    assert "no confirmed authenticator" in capsys.readouterr().err


# --- createadmin -----------------------------------------------------------------------------


@in_process_command
def test_createadmin_makes_a_sysadmin_at_the_root_unit(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIUQING_ADMIN_PASSWORD", "a long enough admin passphrase")
    args = ["createadmin", "--no-input", "--username", "ops", "--full-name", "运维管理员"]
    assert cli.main(args) == 0
    admin = Member.objects.get(username="ops")
    assert admin.unit == world.units["D"]
    assert admin.role_set == {Role.SYSADMIN}
    assert admin.check_password("a long enough admin passphrase")
    assert "authenticator app" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="member.create", object_id=str(admin.pk)).exists()


@in_process_command
def test_createadmin_refuses_a_weak_password_and_creates_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LIUQING_ADMIN_PASSWORD", "password1234")
    args = ["createadmin", "--no-input", "--username", "ops", "--full-name", "运维管理员"]
    assert cli.main(args) == 1
    assert "password" in capsys.readouterr().err
    assert not Member.objects.filter(username="ops").exists()


@in_process_command
def test_createadmin_reads_the_password_from_a_file_and_makes_the_root_unit_if_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIUQING_ADMIN_PASSWORD", raising=False)
    secret = tmp_path / "pw"
    secret.write_text("another long admin passphrase\n")
    args = ["createadmin", "--no-input", "--username", "ops", "--full-name", "运维管理员",
            "--password-file", str(secret)]  # fmt: skip
    assert cli.main(args) == 1  # no root unit, and no --root-code/--root-name
    assert cli.main([*args, "--root-code", "654000", "--root-name", "伊犁边境管理支队"]) == 0
    root = Unit.objects.get(parent__isnull=True)
    assert Member.objects.get(username="ops").unit == root


# --- seed ------------------------------------------------------------------------------------


@in_process_command
def test_seed_builds_the_demo_and_refuses_to_build_over_existing_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["seed", "--skip-checks"]) == 0
    assert "Done in" in capsys.readouterr().out
    members = Member.objects.count()
    assert cli.main(["seed", "--skip-checks"]) == 1
    assert "--flush" in capsys.readouterr().err
    assert Member.objects.count() == members


# --- Real processes on a SQLite file ---------------------------------------------------------


def test_audit_verify_finds_a_tampered_event_in_another_process(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        LIUQING_TESTING="1",
        LIUQING_ADMIN_PASSWORD="a long enough admin passphrase",
    )
    assert liuqing(["migrate", "-v0"], env).returncode == 0
    made = liuqing(
        ["createadmin", "--no-input", "--username", "ops", "--full-name", "运维",
         "--root-code", "654000", "--root-name", "伊犁边境管理支队"],
        env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    ok = liuqing(["audit", "verify"], env)
    assert ok.returncode == 0
    assert "Audit chain OK: 2 events" in ok.stdout

    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    conn.execute("UPDATE core_auditevent SET reason = 'rewritten' WHERE seq = 1")
    conn.commit()
    conn.close()
    bad = liuqing(["audit", "verify"], env)
    assert bad.returncode == 1
    assert "event 1: content does not match its digest" in bad.stdout
    assert "FAILED" in bad.stderr


def test_demo_sets_everything_up_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    var = tmp_path / "var"
    # A guard against a hang, not a speed expectation: the demo build takes about a minute on
    # a quiet machine and more than three under a loaded one (two suites at once).
    first = liuqing(["demo", "--no-serve"], env, timeout=900)
    assert first.returncode == 0, first.stderr
    keyring = var / "keys.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    assert (var / "liuqing.sqlite3").exists()
    assert (var / "static").is_dir()
    out = first.stdout
    assert demo.DEMO_PASSWORD in out
    for username in demo.ACCOUNT_NAMES:
        assert f"  {username} " in out
    assert "liuqing otp chief" in out
    assert "Collected static files." in out

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "liuqing", "demo", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 300  # a hang guard, as above
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                time.sleep(0.5)
        assert status is not None
        assert status < 500
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "Demo data already present" in stdout
    assert "Collected static files." not in stdout
    assert "Stopped the web server and the worker." in stdout
    assert keyring.read_text()  # the second run kept the ring it found


# --- In process, for the commands' own code paths --------------------------------------------


@in_process_command
def test_demo_without_serving_loads_the_data_once_and_prints_the_accounts(
    tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    settings.STATIC_ROOT = tmp_path / "static"
    assert cli.main(["demo", "--no-serve", "--skip-checks"]) == 0
    out = capsys.readouterr().out
    assert "Loading the demo data" in out
    assert "Collected static files." in out
    assert f"password for all: {demo.DEMO_PASSWORD}" in out
    assert "王建军" in out
    assert (tmp_path / "static").is_dir()
    members = Member.objects.count()

    assert cli.main(["demo", "--no-serve", "--skip-checks"]) == 0
    out = capsys.readouterr().out
    assert "Demo data already present" in out
    assert "Collected static files." not in out
    assert Member.objects.count() == members


@in_process_command
def test_audit_verify_in_process_reports_ok_and_problems(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify"]) == 0
    assert "Audit chain OK" in capsys.readouterr().out
    AuditEvent.objects.filter(seq=3).delete()
    assert cli.main(["audit", "verify"]) == 1
    assert "events 3..3 are missing" in capsys.readouterr().out


@in_process_command
def test_createadmin_can_enrol_the_authenticator_in_the_terminal(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def type_the_code(prompt: str) -> str:
        device = TOTPDevice.objects.filter(user__username="ops", confirmed=False).get()
        return current_code(device)

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", type_the_code)
    monkeypatch.setenv("LIUQING_ADMIN_PASSWORD", "a long enough admin passphrase")
    args = ["createadmin", "--username", "ops", "--full-name", "运维管理员", "--enrol"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "otpauth://totp/" in out
    assert "Authenticator confirmed." in out
    assert TOTPDevice.objects.filter(user__username="ops", confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="auth.otp_enrol", member_username="ops").exists()


def test_seed_and_demo_refuse_to_run_in_production(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.PRODUCTION = True
    assert cli.main(["seed", "--skip-checks"]) == 1
    assert "LIUQING_ENV=production" in capsys.readouterr().err
    assert cli.main(["demo", "--no-serve", "--skip-checks"]) == 1
    assert "published" in capsys.readouterr().err
