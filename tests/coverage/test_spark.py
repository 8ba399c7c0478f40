"""Spark SQL over a Parquet extract gives the same facts as the DuckDB path."""

import datetime as dt

import pytest

from everydoor.coverage import engine
from tests.coverage.synthetic import world_frames

pytestmark = pytest.mark.spark


def test_spark_equals_duckdb(tmp_path):
    pytest.importorskip("pyspark")
    from everydoor.coverage.spark import extract_write, facts_spark, spark_session

    data = world_frames(3)
    folder = extract_write(data, tmp_path / "extract")
    spark = spark_session()
    try:
        for day in (dt.date(2025, 10, 31),):
            expected = engine.facts_frame(data, day)
            got = facts_spark(folder, day, spark=spark)
            assert got.height == expected.height > 0
            assert got.equals(expected)
    finally:
        spark.stop()
