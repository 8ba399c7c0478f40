"""Identifiers compare byte for byte on PostgreSQL (core.fields.CodeField); SQLite does already.

The state changes everywhere; only PostgreSQL alters its columns (SQLite would copy each table whole).
"""

from django.db import migrations

from everydoor.core.fields import CodeField

_IDENTIFIERS = [
    ("card", "card_number", CodeField(blank=True, max_length=15)),
    ("card", "personal_id", CodeField(blank=True, max_length=12)),
    ("card", "record_key", CodeField(max_length=60)),
    ("card", "si_code", CodeField(blank=True, max_length=10)),
    ("household", "code", CodeField(max_length=40, unique=True)),
    ("person", "personal_id", CodeField(blank=True, max_length=12, null=True)),
    ("person", "record_key", CodeField(max_length=200)),
]


def _byte_order(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, name, _ in _IDENTIFIERS:
        model = apps.get_model("registry", model_name)
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
            state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)
                              for model_name, name, field in _IDENTIFIERS],
        ),
    ]
