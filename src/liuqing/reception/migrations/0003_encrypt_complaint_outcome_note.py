"""The outcome note of a conduct complaint is encrypted at rest (SECURITY.md: notes about
people): existing plain notes are sealed under the key ring's active key, then the column
becomes a SensitiveNoteField. Going back opens them again."""

from typing import Any

from django.db import migrations

import liuqing.core.pii
from liuqing.core.pii import CIPHER_PREFIX, decrypt, encrypt

PURPOSE = "note"  # SensitiveNoteField.kind: the associated data every note is sealed with


def seal(apps: Any, schema_editor: Any) -> None:
    # Still a plain TextField here: values are read and written exactly as stored.
    Complaint = apps.get_model("reception", "ConductComplaint")
    rows = Complaint.objects.exclude(outcome_note="").values_list("pk", "outcome_note")
    for pk, note in rows.iterator():
        if note.startswith(CIPHER_PREFIX + "$"):
            continue  # sealed already (a re-run)
        Complaint.objects.filter(pk=pk).update(outcome_note=encrypt(note.strip(), PURPOSE))


def unseal(apps: Any, schema_editor: Any) -> None:
    Complaint = apps.get_model("reception", "ConductComplaint")
    rows = Complaint.objects.exclude(outcome_note="").values_list("pk", "outcome_note")
    for pk, note in rows.iterator():
        if note.startswith(CIPHER_PREFIX + "$"):
            Complaint.objects.filter(pk=pk).update(outcome_note=decrypt(note, PURPOSE))


class Migration(migrations.Migration):
    dependencies = [("reception", "0002_complaint_handling")]

    operations = [
        migrations.RunPython(seal, unseal),
        migrations.AlterField(
            model_name="conductcomplaint",
            name="outcome_note",
            field=liuqing.core.pii.SensitiveNoteField(blank=True, verbose_name="outcome note"),
        ),
    ]
