"""Visit plans of care recipients carry the recipient's restricted label too (visits 0002), so
a member holding the care grant but not, say, the minor label no longer sees such a plan."""

from django.db import migrations


def copy_labels(apps, schema_editor):
    Recipient = apps.get_model("care", "Recipient")
    VisitPlan = apps.get_model("visits", "VisitPlan")
    restricted = Recipient.objects.exclude(restricted_label="").values_list(
        "pk", "restricted_label"
    )
    for pk, label in restricted.iterator():
        VisitPlan.objects.filter(target_kind="care_recipient", target_id=pk).update(
            restricted_label=label
        )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("visits", "0002_plan_restricted_label"),
    ]

    operations = [migrations.RunPython(copy_labels, migrations.RunPython.noop)]
