"""The four problem categories of liaison with their deadlines (working days)."""

from django.db import migrations

CATEGORIES = [
    ("labour_dispute", "劳资纠纷", 15),
    ("safety_hazard", "安全隐患", 5),
    ("residence_permit", "居住证办理", 10),
    ("security_system", "技防设施", 20),
]


def add_categories(apps, schema_editor):  # type: ignore[no-untyped-def]
    category = apps.get_model("casework", "Category")
    for order, (code, name, days) in enumerate(CATEGORIES):
        category.objects.get_or_create(
            kind="liaison_problem",
            code=code,
            defaults={"name": name, "resolve_days": days, "order": order, "is_public": False},
        )


class Migration(migrations.Migration):
    dependencies = [("liaison", "0001_initial"), ("casework", "0005_figures_indexes")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
