"""A columnar copy of what coverage reads from the registers: Parquet under var/columnar/<version>/.

Coverage facts, the change decomposition and the monthly report read persons and cards for one or
many dates; pulling millions of rows out of the database costs several times the aggregation
itself. The copy is made once per version of the registers and then read at Parquet speed.

The database stays the one source of truth: the copy is named by a version key — the token that
every import, link run, review decision and ORM edit of persons, cards or links replaces in its own
transaction (core.versions, wired in coverage.apps), plus the highest id of each table — and a copy
whose key is not the current one is never read. Copies hold personal data (dates of birth, sex,
ethnicity): they live beside the database file, and old ones are removed.
"""

import contextlib
import datetime as dt
import hashlib
import shutil
import tempfile
import time
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection

from everydoor.core.versions import data_version
from everydoor.coverage import frames

TABLES = ("persons", "cards")
KEEP = 3  # newest copies kept: a reader may still be on the previous one


def _root() -> Path:
    return Path(settings.VAR_DIR) / "columnar"


def version_key() -> str:
    """The current version of the registers (a few index look-ups)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT MAX(id) FROM registry_person), (SELECT MAX(id) FROM registry_card), "
                       "(SELECT MAX(id) FROM linkage_link)")
        ids = cursor.fetchall()[0]
    database = f"{connection.vendor}:{connection.settings_dict.get('HOST')}:{connection.settings_dict['NAME']}"
    raw = f"{database}|{data_version()}|{ids}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def registers() -> dict[str, pl.DataFrame]:
    """persons (frames.PERSON_SCHEMA) and every card with its linked person (frames.CARD_SCHEMA)."""
    folder = _root() / version_key()
    if (folder / "complete").exists():
        try:
            return {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}
        except (OSError, pl.exceptions.PolarsError):
            pass  # removed or damaged under us: rebuild
    data = frames.registers_frames()
    _write(folder, data)
    return data


def load_frames(*, dates: list[dt.date]) -> dict[str, pl.DataFrame]:
    """Everything the engine needs for the given dates: persons, cards valid on any of them, and the
    (small, always read fresh) communes, villages and unit_communes."""
    data = registers()
    return {"persons": data["persons"], "cards": frames.valid_on(data["cards"], dates), **frames.units_frames()}


def _write(folder: Path, data: dict[str, pl.DataFrame]) -> None:
    """Write into a temporary folder, then rename: a reader sees a whole copy or none."""
    root = folder.parent
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        for name in TABLES:
            data[name].write_parquet(staging / f"{name}.parquet", compression="lz4")
        (staging / "complete").touch()
        with contextlib.suppress(OSError):  # another process wrote the same version first
            staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _prune(root)


def _prune(root: Path) -> None:
    """Keep the newest copies; drop half-written ones left by a process that died an hour ago or more."""
    folders = [p for p in root.iterdir() if p.is_dir()]
    copies = sorted((p for p in folders if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True)
    abandoned = [p for p in folders if p.name.startswith(".") and time.time() - p.stat().st_mtime > 3600]
    for old in copies[KEEP:] + abandoned:
        shutil.rmtree(old, ignore_errors=True)
