"""The appeals' search documents (appeals.search) and their text index: an FTS5 table kept in
step by triggers on SQLite, a GIN index over to_tsvector('simple', text) on PostgreSQL. Each
index is made only on its own database; existing appeals get their documents here."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

FTS = "appeals_search_fts"
TABLE = "appeals_appealsearch"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(text, content='{TABLE}', content_rowid='case_id')",
    f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, text) VALUES (new.case_id, new.text);
    END""",
    f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.case_id, old.text);
    END""",
    f"""CREATE TRIGGER {FTS}_au AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.case_id, old.text);
        INSERT INTO {FTS}(rowid, text) VALUES (new.case_id, new.text);
    END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_CREATE = [
    f"CREATE INDEX appeals_search_tsv ON {TABLE} USING GIN (to_tsvector('simple', text))"
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS appeals_search_tsv"]


def create_index(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}.get(vendor, []):
        schema_editor.execute(sql)


def drop_index(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(vendor, []):
        schema_editor.execute(sql)


def backfill(apps: Any, schema_editor: Any) -> None:
    from liuqing.appeals.search import document

    Appeal = apps.get_model("appeals", "Appeal")
    AppealSearch = apps.get_model("appeals", "AppealSearch")
    batch = []
    rows = Appeal.objects.select_related("case").only(
        "resident_name",
        "case__number",
        "case__title",
        "case__description",
        "case__public_summary",
    )
    for appeal in rows.iterator(chunk_size=2000):
        case = appeal.case
        name = appeal.resident_name
        plain = name.reveal() if hasattr(name, "reveal") else str(name or "")
        text = document(case.number, case.title, case.description, case.public_summary, [plain])
        batch.append(AppealSearch(case_id=case.pk, text=text))
        if len(batch) >= 2000:
            AppealSearch.objects.bulk_create(batch)
            batch = []
    AppealSearch.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0002_default_categories"),
        ("casework", "0005_figures_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppealSearch",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="appeal_search",
                        serialize=False,
                        to="casework.case",
                    ),
                ),
                ("text", models.TextField(blank=True)),
            ],
        ),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
