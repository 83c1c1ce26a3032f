"""Built-in incident categories show their names through gettext (liuqing.incidents.defaults):
the name field may be empty, and a built-in category still carrying the Chinese name it was
seeded with (never renamed by an administrator) gets an empty name. A renamed one keeps its
name. Reversed, the empty names get their seeds back."""

from typing import Any

from django.db import migrations, models

from liuqing.incidents.defaults import SEEDED_NAMES


def translate(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("incidents", "IncidentCategory")
    for code, seed in SEEDED_NAMES.items():
        model.objects.filter(code=code, name=seed).update(name="")


def untranslate(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("incidents", "IncidentCategory")
    for code, seed in SEEDED_NAMES.items():
        model.objects.filter(code=code, name="").update(name=seed)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_patrol_allocation_cell")]

    operations = [
        migrations.AlterField(
            model_name="incidentcategory",
            name="name",
            field=models.CharField(
                blank=True,
                help_text="Empty for a built-in category: its name in the reader's language.",
                max_length=64,
                verbose_name="name",
            ),
        ),
        migrations.RunPython(translate, untranslate),
    ]
