"""The monthly counts keyed by their key: a composite primary key (unit, month, category,
coarse cell, fine cell) instead of an id plus a unique index, and on SQLite a WITHOUT ROWID
table (`models.IncidentCount`). Django cannot turn an existing primary key into a composite
one, so the table, derived data, is dropped, created anew and counted again from the
incidents (`counts.rebuild`, seconds per million incidents)."""

import django.db.models.deletion
from django.db import migrations, models


class CreateWithoutRowid(migrations.CreateModel):
    """CreateModel, on SQLite as a WITHOUT ROWID table (a clause Django does not write). A
    later migration that alters this model would have Django's SQLite schema editor copy it
    into a plain table again (test_counts checks that it is not)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        sql, params = schema_editor.table_sql(model)
        schema_editor.execute(f"{sql} WITHOUT ROWID", params or None)


def count_again(apps, schema_editor):
    from liuqing.incidents import counts

    counts.rebuild(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_unit_boundary'),
        ('incidents', '0008_ledger_checks_its_references'),
    ]

    operations = [
        # Reversed last: the old table, created again empty, counted again.
        migrations.RunPython(migrations.RunPython.noop, count_again),
        migrations.DeleteModel(name='IncidentCount'),
        CreateWithoutRowid(
            name='IncidentCount',
            fields=[
                ('pk', models.CompositePrimaryKey('unit_id', 'month', 'category_id', 'cell_coarse', 'cell_fine', blank=True, editable=False, primary_key=True, serialize=False)),
                ('cell_coarse', models.BigIntegerField()),
                ('cell_fine', models.BigIntegerField()),
                ('month', models.PositiveIntegerField()),
                ('n', models.IntegerField()),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='incidents.incidentcategory')),
                ('unit', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.unit')),
            ],
            options={
                'verbose_name': 'incident count',
                'verbose_name_plural': 'incident counts',
            },
        ),
        migrations.RunPython(count_again, migrations.RunPython.noop),
    ]
