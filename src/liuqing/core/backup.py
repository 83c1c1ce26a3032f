"""Backup and restore of the configured database, each into or out of one file.

* SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot
  while the app keeps running; the backup file is itself a SQLite database. Restore copies it
  back page by page into the configured database, through the same API.
* PostgreSQL: `pg_dump -Fc` (custom format, compressed) and
  `pg_restore --clean --if-exists --no-owner --single-transaction`, so a failed restore leaves
  the database as it was.

A backup holds personal data as ciphertext only; it is useless without the key ring, which is
deliberately not in it. Back up the key ring file separately (docs/operations.md).

Restore replaces the whole database: stop the app and the workers first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
FILE_MODE = 0o600


class BackupError(Exception):
    """The backup or restore could not be done (the message says why and what to do)."""


@dataclass
class BackupResult:
    path: Path
    vendor: str
    size: int


def vendor(using: str = DEFAULT_DB_ALIAS) -> str:
    return connections[using].vendor


def default_name(vendor_name: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    suffix = "sqlite3" if vendor_name == "sqlite" else "pgdump"
    return f"liuqing-{now:%Y%m%dT%H%M%SZ}.{suffix}"


def resolve_target(path: Path | str, vendor_name: str) -> Path:
    """A directory (existing, or written with a trailing slash) gets a time-stamped file name."""
    text = str(path)
    target = Path(text)
    if target.is_dir() or text.endswith(("/", os.sep)):
        target.mkdir(parents=True, exist_ok=True)
        return target / default_name(vendor_name)
    return target


def backup(path: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write a backup of the database to `path` (mode 0600; replaced atomically if it exists)."""
    kind = vendor(using)
    target = resolve_target(path, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".liuqing-backup-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, FILE_MODE)
        if kind == "sqlite":
            _backup_sqlite(tmp, using)
        elif kind == "postgresql":
            _backup_postgresql(tmp, using)
        else:
            raise BackupError(f"Backups of {kind} databases are not supported.")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupResult(path=target, vendor=kind, size=target.stat().st_size)


def restore(path: Path | str, *, using: str = DEFAULT_DB_ALIAS) -> str:
    """Replace the configured database's content with the backup at `path`; returns the vendor.

    The backup must come from the same kind of database. It is checked before anything is
    touched; on PostgreSQL the restore is one transaction.
    """
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    kind = vendor(using)
    with open(source, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        found = "sqlite"
    elif head.startswith(PGDUMP_MAGIC):
        found = "postgresql"
    else:
        raise BackupError(f"{source} is not a Liuqing backup (neither SQLite nor pg_dump).")
    if found != kind:
        raise BackupError(
            f"{source} is a {found} backup but the configured database is {kind}; "
            "restore it into the same kind of database it came from."
        )
    if kind == "sqlite":
        _restore_sqlite(source, using)
    else:
        _restore_postgresql(source, using)
    return kind


# --- SQLite ----------------------------------------------------------------------------------


def _raw_sqlite(using: str) -> sqlite3.Connection:
    conn = connections[using]
    if conn.in_atomic_block:
        raise BackupError("Backup and restore cannot run inside a transaction.")
    conn.ensure_connection()
    raw = conn.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _backup_sqlite(target: Path, using: str) -> None:
    # Django's own connection, so this also works for the in-memory test database.
    source = _raw_sqlite(using)
    dest = sqlite3.connect(target)
    try:
        with dest:
            source.backup(dest, pages=4096)
        # The copy inherits WAL mode; a backup is one self-contained file.
        dest.execute("PRAGMA journal_mode=DELETE")
    finally:
        dest.close()


def _check_sqlite_backup(source: Path) -> None:
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        status = conn.execute("PRAGMA quick_check").fetchone()
        has_migrations = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='django_migrations'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is damaged: {exc}") from exc
    finally:
        conn.close()
    if not status or status[0] != "ok":
        raise BackupError(f"{source} failed SQLite's integrity check: {status}")
    if not has_migrations:
        raise BackupError(f"{source} is a SQLite database but not a Liuqing backup.")


def _restore_sqlite(source: Path, using: str) -> None:
    _check_sqlite_backup(source)
    dest = _raw_sqlite(using)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        src.backup(dest, pages=4096)
    finally:
        src.close()
    # Everything Django cached about the old connection (e.g. savepoint state) goes with it.
    connections[using].close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_env(using: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump/pg_restore (password via PGPASSWORD)."""
    settings_dict: dict[str, Any] = connections[using].settings_dict
    args: list[str] = []
    env = dict(os.environ)
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    args += ["--dbname", str(settings_dict["NAME"])]
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} was not found on PATH; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) matching the server's major version."
        )
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {proc.stderr.strip()}")


def _backup_postgresql(target: Path, using: str) -> None:
    args, env = _pg_env(using)
    _run([_tool("pg_dump"), "--format=custom", "--no-password", "--file", str(target), *args], env)


def _restore_postgresql(source: Path, using: str) -> None:
    args, env = _pg_env(using)
    # The archive's table of contents is read first, so a damaged file fails before the drop.
    _run([_tool("pg_restore"), "--list", str(source)], env)
    connections[using].close()
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--no-password",
            *args,
            str(source),
        ],
        env,
    )


# --- Content digest --------------------------------------------------------------------------


def table_digests(using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """SHA-256 of every table's rows (sorted), by table name: equal digests, equal content.

    Reads raw column values, so personal data is compared as stored (ciphertext).
    """
    conn = connections[using]
    result: dict[str, str] = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {conn.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(tuple(_plain(v) for v in row)) for row in cursor.fetchall())
            digest = hashlib.sha256()
            for row in rows:
                digest.update(row.encode())
                digest.update(b"\n")
            result[table] = digest.hexdigest()
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    return value
