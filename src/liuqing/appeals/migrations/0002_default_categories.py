"""The default category tree of appeals (liuqing.appeals.defaults), created where missing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from liuqing.appeals.defaults import ensure_default_categories

    ensure_default_categories(apps.get_model("casework", "Category"))


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0001_initial"),
        ("casework", "0002_load_national_calendar"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
