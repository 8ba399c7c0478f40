"""Scoring the pool (cards not linked by personal ID) on the run's DuckDB connection; no Django here.

With a model: the pool's candidate pairs are scored. Without one, a model is trained first on a
sample of cards, and cards linked by personal ID, scored as if they had no ID, are the labels that
choose its thresholds. Either way the result is the table ``scores`` (card_id, person_id,
match_weight, match_probability); hints and model inputs are made only for the cards scored.
"""

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import polars as pl

from everydoor.linkage import stages
from everydoor.linkage.model import Scorer
from everydoor.linkage.thresholds import choose_thresholds

# Cards sampled to train the model, and ID-linked cards re-scored to choose the thresholds.
TRAINING_CARDS = 100_000
CALIBRATION_CARDS = 20_000
# Thresholds when there is nothing to learn them from.
DEFAULT_THRESHOLDS = (0.05, 0.9)


@dataclass(frozen=True)
class Trained:
    settings_json: str
    lower: float
    upper: float
    trained_on: dict


def _sample(con: duckdb.DuckDBPyConnection, source: str, wanted: int) -> str:
    """A deterministic WHERE condition taking about ``wanted`` card_ids of ``source`` (each source its own draw)."""
    total = con.sql(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    permille = 1000 if total <= wanted else max(1, wanted * 1000 // total)
    return f"card_id IN (SELECT card_id FROM {source} WHERE hash(card_id, '{source}') % 1000 < {permille})"


def empty_scores(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE OR REPLACE TABLE scores (card_id BIGINT, person_id BIGINT, match_weight DOUBLE,
                   match_probability DOUBLE)""")


def score_pool(con: duckdb.DuckDBPyConnection, *, engine: str, settings: dict | None, step: Callable[[str], None],
               ) -> Trained | None:
    """Fill ``scores`` for the cards in ``pool``; train first when ``settings`` is None.

    Returns what was trained (None when a model was given, or when the data were too few to learn
    from: then ``scores`` is empty and the pool waits for more data).
    """
    pool = "card_id IN (SELECT card_id FROM pool)"
    con.execute("CREATE OR REPLACE VIEW id_linked AS SELECT card_id FROM all_links WHERE method = 'personal_id'")
    training = settings is None
    train_where = _sample(con, "cards", TRAINING_CARDS) if training else "FALSE"
    calibration_where = _sample(con, "id_linked", CALIBRATION_CARDS) if training else "FALSE"
    con.execute(f"""CREATE OR REPLACE TABLE scope AS SELECT card_id FROM cards
                    WHERE {pool} OR ({train_where}) OR ({calibration_where})""")
    stages.names(con)
    stages.hints(con)
    n_persons = stages.person_inputs(con, "person_inputs")
    if not training:
        step("scoring candidate pairs")
        stages.card_inputs(con, "score_inputs", pool)
        Scorer(con, "score_inputs", "person_inputs", engine=engine, settings=settings).predict_into("scores")
        return None

    step("training the model")
    n_train = stages.card_inputs(con, "train_inputs", train_where)
    scorer = Scorer(con, "train_inputs", "person_inputs", engine=engine, n_persons=n_persons)
    if not scorer.train():
        empty_scores(con)
        return None
    settings_json = scorer.settings_json()
    step("scoring candidate pairs")
    stages.card_inputs(con, "score_inputs", f"{pool} OR ({calibration_where})", hide_id=calibration_where)
    Scorer(con, "score_inputs", "person_inputs", engine=engine, settings=scorer.linker.misc.save_model_to_json(),
           ).predict_into("scores")
    n_calibration = con.sql(f"SELECT count(*) FROM id_linked WHERE {calibration_where}").fetchall()[0][0]
    if n_calibration >= 50:
        # The best candidate of each calibration card, and whether it is the resident its ID names.
        calibration = con.sql("""
            WITH best AS (
                SELECT s.card_id, s.person_id, s.match_probability FROM scores s
                WHERE s.card_id IN (SELECT card_id FROM id_linked)
                QUALIFY row_number() OVER (PARTITION BY s.card_id ORDER BY s.match_weight DESC, s.person_id) = 1)
            SELECT b.match_probability, (b.person_id = l.person_id) AS correct
            FROM best b JOIN all_links l USING (card_id)
        """).pl()
        lower, upper = choose_thresholds(calibration, n_calibration)
    else:
        lower, upper = choose_thresholds(_expected_best(con))
    trained_on = {"cards": n_train, "persons": n_persons, "calibration_cards": n_calibration}
    return Trained(settings_json, lower, upper, trained_on)


def _expected_best(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Best candidate per card, its probability standing in for the label."""
    return con.sql("""
        SELECT match_probability, match_probability AS correct FROM scores
        QUALIFY row_number() OVER (PARTITION BY card_id ORDER BY match_weight DESC, person_id) = 1
    """).pl()
