"""Identifiers compare byte for byte on PostgreSQL (core.fields.CodeField); SQLite does already.

The state changes everywhere; only PostgreSQL alters its columns (SQLite would copy each table whole).
"""

from django.db import migrations

import everydoor.core.fields

_IDENTIFIERS = {"card": ("card_number", "personal_id", "record_key", "si_code"), "household": ("code",),
                "person": ("personal_id", "record_key")}


def _byte_order(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, names in _IDENTIFIERS.items():
        model = apps.get_model("registry", model_name)
        for name in names:
            field = model._meta.get_field(name)
            schema_editor.execute(f'ALTER TABLE "{model._meta.db_table}" ALTER COLUMN "{field.column}" '
                                  f'TYPE {field.db_type(schema_editor.connection)} COLLATE "C"')


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_commune_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(_byte_order, migrations.RunPython.noop)],
            state_operations=[
                migrations.AlterField(
                    model_name='card',
                    name='card_number',
                    field=everydoor.core.fields.CodeField(blank=True, max_length=15),
                ),
                migrations.AlterField(
                    model_name='card',
                    name='personal_id',
                    field=everydoor.core.fields.CodeField(blank=True, max_length=12),
                ),
                migrations.AlterField(
                    model_name='card',
                    name='record_key',
                    field=everydoor.core.fields.CodeField(max_length=60),
                ),
                migrations.AlterField(
                    model_name='card',
                    name='si_code',
                    field=everydoor.core.fields.CodeField(blank=True, max_length=10),
                ),
                migrations.AlterField(
                    model_name='household',
                    name='code',
                    field=everydoor.core.fields.CodeField(max_length=40, unique=True),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='personal_id',
                    field=everydoor.core.fields.CodeField(blank=True, max_length=12, null=True),
                ),
                migrations.AlterField(
                    model_name='person',
                    name='record_key',
                    field=everydoor.core.fields.CodeField(max_length=200),
                ),
            ],
        ),
    ]
