"""The dispute types (liuqing.mediation.defaults), created where missing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from liuqing.mediation.defaults import ensure_default_types

    ensure_default_types(apps.get_model("casework", "Category"))


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0001_initial"),
        ("casework", "0002_load_national_calendar"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
