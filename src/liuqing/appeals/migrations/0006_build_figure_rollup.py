"""The figures' rollup (appeals.rollup) for the appeals already there: every appeal's state
into the ledger and the cells of the units at the top of the tree. A million appeals take a
minute or two on SQLite."""

from typing import Any

from django.db import migrations


def build(apps: Any, schema_editor: Any) -> None:
    from liuqing.appeals import rollup

    rollup.rebuild(apps=apps)


def forget(apps: Any, schema_editor: Any) -> None:
    for name in ("FigureCell", "FollowUpCell", "FigureState"):
        apps.get_model("appeals", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0005_figure_rollup"),
        ("casework", "0005_figures_indexes"),
    ]

    operations = [migrations.RunPython(build, forget)]
