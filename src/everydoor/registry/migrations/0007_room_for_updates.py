"""PostgreSQL leaves a tenth of each page of the registers free (fillfactor 90).

A newer extract rewrites the records it changes. With room on the page, PostgreSQL keeps the new
version there and touches no index (a HOT update, as no indexed column changes); on full pages every
changed card also went into all of the card table's indexes. Pages written before this migration keep
no room until the table is rewritten. SQLite has no such setting.
"""

from django.db import migrations

_TABLES = ("registry_person", "registry_card")


def _fillfactor(value: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in _TABLES:
                schema_editor.execute(f"ALTER TABLE {table} {value}")
    return alter


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_card_number_through_record_key'),
    ]

    operations = [
        migrations.RunPython(_fillfactor("SET (fillfactor = 90)"), _fillfactor("RESET (fillfactor)")),
    ]
