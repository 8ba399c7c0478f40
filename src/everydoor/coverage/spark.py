"""The coverage aggregation as Spark SQL over Parquet extracts (national scale).

The statement is engine.facts_sql in its Spark spelling: the DuckDB and Spark paths give the same facts.
Spark runs in local mode here, bound to the loopback interface.
"""

import datetime as dt
import os
from pathlib import Path

import polars as pl

from everydoor.coverage import engine

TABLES = ("persons", "cards", "communes", "villages", "unit_communes")


def extract_write(frames: dict[str, pl.DataFrame], folder) -> Path:
    """One Parquet file per input table: the extract the Spark path reads."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        frame = engine.with_field_columns(frames[name]) if name == "persons" else frames[name]
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


def spark_session(master: str = "local[2]"):
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName("everydoor-coverage")
            .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.session.timeZone", "UTC").getOrCreate())


def facts_spark(folder, day: dt.date, *, spark=None) -> pl.DataFrame:
    """Facts for one date from a Parquet extract, in the same shape as engine.facts_frame."""
    folder = Path(folder)
    own = spark is None
    spark = spark or spark_session()
    try:
        for name in TABLES:
            spark.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(name)
        communes = pl.read_parquet(folder / "communes.parquet")
        sql = engine.facts_sql(day, default_province=engine.default_province_code(communes), dialect="spark")
        rows = spark.sql(sql).collect()
    finally:
        if own:
            spark.stop()
    columns = list(engine.FACT_COLUMNS)
    frame = pl.DataFrame([tuple(r[c] for c in columns) for r in rows], schema=columns, orient="row")
    return engine.normalise(frame)
