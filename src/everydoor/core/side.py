"""Reads on a second connection, in a thread, while this one goes on.

SQLite and psycopg release the GIL while the database formats rows, and Polars while it computes, so a
read in a thread overlaps the caller's own work. A second connection sees the same rows only where
core.sqlite_text.side_connection_usable says so (outside a transaction, never an in-memory SQLite);
elsewhere the read runs at once, on this connection.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

from everydoor.core.sqlite_text import side_connection_usable

T = TypeVar("T")
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="side-read")


def meanwhile(read: Callable[..., T]) -> Callable[[], T]:
    """Start read(conn) on a second connection in a thread (or run it now, on this connection, where a
    second one would not see the same rows); the returned function waits for its result."""
    if not side_connection_usable():
        done = read(connection)
        return lambda: done

    def work() -> T:
        side = connection.copy()
        try:
            return read(side)
        finally:
            side.close()

    future = _pool.submit(work)
    return future.result
