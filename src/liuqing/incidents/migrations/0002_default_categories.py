"""The eight default incident categories (liuqing.incidents.defaults)."""

from typing import Any

from django.db import migrations

from liuqing.incidents.defaults import DEFAULTS, ensure_default_categories


def create(apps: Any, schema_editor: Any) -> None:
    ensure_default_categories(apps.get_model("incidents", "IncidentCategory"))


def remove(apps: Any, schema_editor: Any) -> None:
    apps.get_model("incidents", "IncidentCategory").objects.filter(
        code__in=[code for code, _name, _order in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
