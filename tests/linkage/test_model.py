"""The Splink model on DuckDB, without the database: training is reproducible."""

import json

import duckdb
import numpy as np
import polars as pl
import pytest

from everydoor.linkage.features import name_columns
from everydoor.linkage.model import INPUT_COLUMNS, Scorer
from tests.linkage.synth import GIVENS, MIDDLES, SURNAMES


def _inputs(rng: np.random.Generator, n: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Residents in four communes, and a card for each with a wrong birth year now and then."""
    names = [f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}" for _ in range(n)]
    persons = name_columns(pl.DataFrame({"full_name": names})).with_columns(
        uid=pl.int_range(1, n + 1, dtype=pl.Int64),
        personal_id=pl.lit(None, dtype=pl.Utf8),
        dob_y=pl.Series(rng.integers(1940, 2020, n), dtype=pl.Int64),
        dob_m=pl.Series(rng.integers(1, 13, n), dtype=pl.Int64),
        dob_d=pl.Series(rng.integers(1, 29, n), dtype=pl.Int64),
        sex=pl.Series(rng.choice(["M", "F"], n)),
        commune_id=pl.Series(rng.integers(1, 5, n), dtype=pl.Int64),
        hh_key=pl.lit(None, dtype=pl.Utf8),
        person_hint=pl.lit(None, dtype=pl.Int64),
    ).with_columns(village_id=pl.col("commune_id") * 10 + pl.Series(rng.integers(0, 3, n), dtype=pl.Int64))
    slip = pl.Series(rng.random(n) < 0.1)
    cards = persons.with_columns(uid=pl.col("uid") + 100_000,
                                 dob_y=pl.when(slip).then(pl.col("dob_y") + 1).otherwise(pl.col("dob_y")))
    return cards.select(INPUT_COLUMNS), persons.select(INPUT_COLUMNS)


def _trained_model(cards: pl.DataFrame, persons: pl.DataFrame) -> dict:
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE card_in AS SELECT * FROM cards")
        con.execute("CREATE TABLE person_in AS SELECT * FROM persons")
        scorer = Scorer(con, "card_in", "person_in", n_persons=persons.height)
        # Few pairs allowed per EM session: Splink samples the blocked pairs, as on a province's registers.
        assert scorer.train(u_pairs=20_000, em_pairs=5_000)
        comparisons = json.loads(scorer.settings_json())["comparisons"]
        return {(c["output_column_name"], level["label_for_charts"], kind): level.get(kind)
                for c in comparisons for level in c["comparison_levels"] for kind in ("m_probability", "u_probability")
                if level.get(kind) is not None}
    finally:
        con.close()


def test_training_twice_on_the_same_data_gives_the_same_model():
    cards, persons = _inputs(np.random.default_rng(3), 3_000)
    first, second = _trained_model(cards, persons), _trained_model(cards, persons)
    assert len(first) > 20
    # Equal but for the last digits of DuckDB's parallel sums (another sample of pairs differs from the 4th).
    assert second == pytest.approx(first, rel=1e-9)
