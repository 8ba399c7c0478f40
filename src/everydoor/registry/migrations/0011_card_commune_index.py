"""The cards' commune index, made by database outside the model state (Django's indexes are the same on
every database).

PostgreSQL: by commune alone. A period that leaves the extract changes only `present`; with no index on
it, PostgreSQL rewrites the row in place without an entry in each of the five indexes (a heap-only
update: the newer card extract's 47k periods gone, 2.5 s -> 0.6 s). SQLite rewrites rows and index
entries either way: (commune, present) there, as on Person, counts an area's present cards from the
index alone (the province: 0.1 s; 4 s through the table).
"""

from django.db import migrations

NAME = "registry_card_commune"
COLUMNS = {"postgresql": ("commune_id",), "sqlite": ("commune_id", "present")}


def forwards(apps, schema_editor):
    columns = COLUMNS.get(schema_editor.connection.vendor, ("commune_id",))
    schema_editor.execute(f'CREATE INDEX "{NAME}" ON "registry_card" ({", ".join(columns)})')


def backwards(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX "{NAME}"')


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0010_field_defects"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="card", name="registry_ca_commune_9ebc6e_idx"),
        migrations.RunPython(forwards, backwards),
    ]
