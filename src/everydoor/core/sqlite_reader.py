"""Child process of core.bulk_reads: runs connectorx queries on a SQLite file, writes Arrow IPC files.

Kept apart from Django (quick to start) and in its own process: connectorx carries its own copy of
SQLite, and two copies of SQLite in one process break each other's file locks (closing one's file
handle drops the other's POSIX locks), which can delete a WAL another connection still uses.

    python -m everydoor.core.sqlite_reader < {"uri", "out": DIR, "partitions", "queries": {name: {"sql", "partition_on"}}}
"""

import json
import sys
from pathlib import Path

import connectorx
import pyarrow.ipc


def main() -> None:
    spec = json.load(sys.stdin)
    out = Path(spec["out"])
    for name, query in spec["queries"].items():
        split = {"partition_on": query["partition_on"], "partition_num": spec["partitions"]} \
            if query["partition_on"] else {}
        table = connectorx.read_sql(spec["uri"], query["sql"], return_type="arrow", **split)
        with pyarrow.ipc.new_file(out / f"{name}.arrow", table.schema) as writer:
            writer.write_table(table)


if __name__ == "__main__":
    main()
