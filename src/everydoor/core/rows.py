"""Model instances read with written-out SQL, for the few hot paths where the ORM costs more than the query.

The API's visit post (bench/visits.py) reads the token's user, the household and, for a retry, the stored
visit; every page reads its signed-in user with their profile and places (bench/web.py). Compiling those
querysets cost more than PostgreSQL's answer; RawQuerySet avoids the compiling but matches its result's
columns to the model's fields on every query (a quarter of a gunicorn worker's CPU under the visits bench,
profiled). Here the caller names the fields its SQL selects, in order.
"""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def columns(model: type[Model], names: Sequence[str] | None = None, *, alias: str = "") -> str:
    """The SQL list of the columns of `names` (attnames; default: every concrete field), in the model's order,
    for a SELECT that fetch_instance reads."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + field.column for field in _fields(model, names))


def fetch_instance(model: type[Model], sql: str, params: Sequence, names: Sequence[str] | None = None
                   ) -> tuple[Model, list[tuple]] | None:
    """The first row of `sql` as a `model` instance, and the values each row selected after its fields (a
    join may repeat the instance with other values); None without a row. The SQL selects the fields of
    `names` (attnames; default: every concrete field) first, as columns() lists them; a field not selected
    is deferred, as with .only(). Values go through the converters the ORM applies (SQLite's booleans,
    datetimes and UUIDs are stored as numbers and text)."""
    fields = _fields(model, names)
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection once: each use of the proxy looks it up again
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    return _instance(db, model, fields, rows[0]), [tuple(r[len(fields):]) for r in rows]


def fetch_joined(models: Sequence[type[Model]], sql: str, params: Sequence) -> list[Model | None] | None:
    """The first row of a join as one instance per model (every concrete field of each, in the order of
    `models`, as columns() lists them), None for a model the join did not find (a NULL primary key); None
    without a row. The caller attaches them to each other (set_cached_value), as select_related would."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    found, start = [], 0
    for model in models:
        fields = _fields(model, None)
        values = row[start:start + len(fields)]
        start += len(fields)
        pk = next(i for i, f in enumerate(fields) if f.primary_key)
        found.append(None if values[pk] is None else _instance(db, model, fields, values))
    return found


def _instance(db, model: type[Model], fields: list, row: Sequence) -> Model:
    values = []
    for field, value in zip(fields, row, strict=False):
        column = field.get_col(model._meta.db_table)
        for converter in db.ops.get_db_converters(column) + column.get_db_converters(db):
            value = converter(value, column, db)
        values.append(value)
    return model.from_db(db.alias, [f.attname for f in fields], values)


def _fields(model: type[Model], names: Sequence[str] | None) -> list:
    """In the model's order, which Model.from_db expects and columns() lists."""
    fields = model._meta.concrete_fields
    if names is None:
        return list(fields)
    unknown = set(names) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no concrete field {', '.join(sorted(unknown))}")
    return [f for f in fields if f.attname in names]


def among(column: str, values: Sequence) -> tuple[str, list]:
    """SQL that `column` is one of `values`, and its parameters. PostgreSQL gets one array (= ANY): a list of a
    thousand placeholders cost more to write out and to parse than the query cost to answer; SQLite an IN list.
    An empty list matches nothing."""
    if not values:
        return "1 = 0", []
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
