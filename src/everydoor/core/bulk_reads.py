"""Millions of rows out of a SQLite database straight into Arrow/Polars, with connectorx.

connectorx reads SQLite in Rust, several id ranges at once, without a Python object per value: on
the full demo it reads the 4.4M card rows coverage needs in 3.8 s, against 11.4 s for SQLite
formatting the rows as text for Polars to parse (core.sqlite_text). It runs in a child process
(core.sqlite_reader; see there why never in this one) and hands the frames over as Arrow files.
It reads committed rows on connections of its own, so it is used only where a second connection
sees the same rows (outside a transaction, never for an in-memory SQLite); elsewhere the functions
here return None and the caller reads through Django's connection. PostgreSQL is not read this
way: COPY is as fast there (measured on the full demo).
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote

import polars as pl
import pyarrow as pa
import pyarrow.ipc
from django.conf import settings
from django.db import connection

from everydoor.core.sqlite_text import side_connection_usable

logger = logging.getLogger(__name__)
PARTITIONS = 2  # one id range per core


def usable() -> bool:
    """connectorx may read for this connection now (EVERYDOOR_CONNECTORX=0 turns it off)."""
    if os.environ.get("EVERYDOOR_CONNECTORX", "1") == "0" or connection.vendor != "sqlite":
        return False
    return side_connection_usable() and find_spec("connectorx") is not None


def _uri() -> str:
    return "sqlite://" + quote(os.path.abspath(connection.settings_dict["NAME"]))


Query = tuple[str, dict[str, pl.DataType], str | None]  # (SELECT, schema of its columns in order, partition column)


def read_frames(queries: dict[str, Query]) -> dict[str, pl.DataFrame] | None:
    """The rows of each query, typed as its schema; None when connectorx may not (or could not) read."""
    if not usable():
        return None
    # Beside the database: the files hold personal data, for the moment they live.
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR, prefix=".read-") as folder:
        spec = {"uri": _uri(), "out": folder, "partitions": PARTITIONS,
                "queries": {name: {"sql": sql, "partition_on": part} for name, (sql, _, part) in queries.items()}}
        done = subprocess.run([sys.executable, "-m", "everydoor.core.sqlite_reader"], input=json.dumps(spec),
                              capture_output=True, text=True)
        if done.returncode:
            reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
            logger.warning("connectorx could not read (%s); reading through Django's connection instead", reason)
            return None
        return {name: _typed(_read_arrow(Path(folder) / f"{name}.arrow"), schema)
                for name, (_, schema, _) in queries.items()}


def _read_arrow(path: Path) -> pl.DataFrame:
    """Read into memory (not mapped: the file goes with its folder)."""
    with pa.OSFile(str(path)) as source, pa.ipc.open_file(source) as reader:
        return pl.from_arrow(reader.read_all())


def read_frame(sql: str, schema: dict[str, pl.DataType], *, partition_on: str | None = None) -> pl.DataFrame | None:
    frames = read_frames({"rows": (sql, schema, partition_on)})
    return None if frames is None else frames["rows"]


def _typed(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    frame = frame.rename(dict(zip(frame.columns, schema, strict=True)))
    return frame.with_columns(_cast(name, dtype, frame.schema[name]) for name, dtype in schema.items())


def _cast(name: str, dtype: pl.DataType, current: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Date and current == pl.String:  # a date SQLite holds in a column not declared as one
        return column.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    return column.cast(dtype)
