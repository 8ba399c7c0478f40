"""A columnar copy of what coverage reads from the registers: Parquet under var/columnar/<version>/.

Coverage facts, the change decomposition and the monthly report read persons and cards for one or
many dates; pulling millions of rows out of the database costs several times the aggregation
itself. The copy is made once per version of the registers (for cards: per date asked, or whole) and
then read at Parquet speed.

The database stays the one source of truth: the copy is named by a version key — the token that
every import, link run, review decision and ORM edit of persons, cards or links replaces in its own
transaction (core.versions, wired in coverage.apps), plus the highest id of each table — and a copy
whose key is not the current one is never read. Copies hold personal data (dates of birth, sex,
ethnicity): they live beside the database file, and old ones are removed.
"""

import contextlib
import datetime as dt
import hashlib
import logging
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection

from everydoor.core.versions import data_version
from everydoor.coverage import frames

logger = logging.getLogger(__name__)
KEEP = 3  # newest copies kept: a reader may still be on the previous one
FEW_DATES = 2  # up to this many dates, only the cards valid on them are read and copied (one date: a third)


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


def load_frames(*, dates: list[dt.date]) -> dict[str, pl.DataFrame]:
    """Everything the engine needs for the given dates: persons, cards valid on any of them, and the
    (small, always read fresh) communes, villages and unit_communes.

    The copy holds every person, and either every card (made when many dates are asked at once, as
    the report's trend does) or the cards of each date asked so far: a first date reads a third of
    the card register instead of all of it.
    """
    folder = _root() / version_key()
    persons = _copied(folder / "persons.parquet")
    cards = _copied(folder / "cards.parquet")
    if cards is not None:
        cards = frames.valid_on(cards, dates)
    elif len(dates) > FEW_DATES:
        cards = frames.valid_on(_store(folder, "cards", frames.cards_read()), dates)
    else:
        parts = []
        for day in dates:
            name = f"cards-{day.isoformat()}"
            part = _copied(folder / f"{name}.parquet")
            if part is None and persons is None:
                # Both to read: together (on two connections when connectorx may not read).
                read = frames.registers_frames([day])
                persons, part = _store(folder, "persons", read["persons"]), _store(folder, name, read["cards"])
            elif part is None:
                part = _store(folder, name, frames.cards_read([day]))
            parts.append(part)
        cards = pl.concat(parts).unique("card_id", keep="first", maintain_order=True)
    if persons is None:
        persons = _store(folder, "persons", frames.persons_read())
    _prune(_root())
    return {"persons": persons, "cards": cards, **frames.units_frames()}


def load_registers() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every card period (with its linked person) and every resident, from the copy of this version of the
    registers; when neither is copied yet (the first run after an import), both read in one go (one
    connectorx process, or two connections at once: frames.registers_frames)."""
    folder = _root() / version_key()
    cards, persons = _copied(folder / "cards.parquet"), _copied(folder / "persons.parquet")
    if cards is None and persons is None:
        read = frames.registers_frames()
        persons = _store(folder, "persons", read["persons"], background=True)
        cards = _store(folder, "cards", read["cards"], background=True)
    _prune(_root())
    return (cards if cards is not None else _store(folder, "cards", frames.cards_read()),
            persons if persons is not None else _store(folder, "persons", frames.persons_read()))


def load_persons() -> pl.DataFrame:
    """Every resident, from the copy of this version of the registers."""
    folder = _root() / version_key()
    persons = _copied(folder / "persons.parquet")
    return persons if persons is not None else _store(folder, "persons", frames.persons_read())


def derived(name: str, build, *, background: bool = False) -> pl.DataFrame:
    """A frame computed from this version of the registers (build()), kept beside the copy and reused until
    the registers change: e.g. each card period with the start of its holder's next one. background: the
    file is written while the caller goes on (_store)."""
    folder = _root() / version_key()
    frame = _copied(folder / f"{name}.parquet")
    return frame if frame is not None else _store(folder, name, build(), background=background)


# Files being written in the background (_store), by path: readers of this process get the frame itself.
_writing: dict[Path, pl.DataFrame] = {}
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="columnar-write")


def _copied(path: Path) -> pl.DataFrame | None:
    if path in _writing:
        return _writing[path]
    if not path.exists():
        return None
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError):
        return None  # removed or damaged under us: read again


def _store(folder: Path, name: str, frame: pl.DataFrame, *, background: bool = False) -> pl.DataFrame:
    """Write into a temporary file, then rename: a reader sees a whole copy or none. background: in a thread
    (Polars writes without the GIL), so the first run after an import computes while its copy is written;
    the process waits for the writes before it exits (the executor's threads are joined)."""
    if background:
        path = folder / f"{name}.parquet"
        _writing[path] = frame
        _writer.submit(_write, folder, name, frame).add_done_callback(lambda done: _written(path, done))
        return frame
    _write(folder, name, frame)
    return frame


def written() -> None:
    """Wait until every copy this process started writing in the background is on disk."""
    _writer.submit(lambda: None).result()  # one writer thread: done after every write queued before


def _written(path: Path, done) -> None:
    _writing.pop(path, None)
    if done.exception() is not None:  # the next run reads the registers again
        logger.warning("the columnar copy %s was not written: %s", path.name, done.exception())


def _write(folder: Path, name: str, frame: pl.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".parquet")
    os.close(handle)
    try:
        frame.write_parquet(temporary, compression="lz4")
        os.replace(temporary, folder / f"{name}.parquet")  # another process may have written the same: same rows
    finally:
        Path(temporary).unlink(missing_ok=True)


def _prune(root: Path) -> None:
    """Keep the newest copies; drop files half-written by a process that died an hour ago or more."""
    if not root.exists():
        return
    copies = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in copies[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    for folder in copies[:KEEP]:
        for stale in folder.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > 3600:
                    stale.unlink()
