"""The Splink model: settings, unsupervised training, scoring, on DuckDB or Spark.

Input: two tables with the same columns (``INPUT_COLUMNS``), cards and residents, on a DuckDB
connection. Output: scored pairs (card_id, person_id, match_weight, match_probability) as a table there.
"""

import json
import logging
import os
import tempfile
import uuid

from splink.internals.exceptions import EMTrainingException

CARDS, PERSONS = "cards", "persons"
INPUT_COLUMNS = [
    "uid", "personal_id", "name_lc", "name_fold", "name_sorted", "name_phon", "dob_y", "dob_m", "dob_d", "sex",
    "commune_id", "village_id", "hh_key", "person_hint",
]
# Pairs below this probability are never links nor worth a review: not kept.
SCORE_FLOOR = 0.001


def _level(sql: str, label: str, null: bool = False) -> dict:
    level = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    return level


def _exact(column: str, description: str) -> dict:
    return {
        "output_column_name": column,
        "comparison_description": description,
        "comparison_levels": [
            _level(f"{column}_l IS NULL OR {column}_r IS NULL", "null", null=True),
            _level(f"{column}_l = {column}_r", "exact"),
            _level("ELSE", "else"),
        ],
    }


def _jaro_winkler(dialect: str, left: str, right: str) -> str:
    return f"jaro_winkler_similarity({left}, {right})" if dialect == "duckdb" else f"jaro_winkler({left}, {right})"


def comparisons(dialect: str) -> list[dict]:
    jw_fold = _jaro_winkler(dialect, "name_fold_l", "name_fold_r")
    jw_phon = _jaro_winkler(dialect, "name_phon_l", "name_phon_r")
    name = {
        "output_column_name": "name",
        "comparison_description": "full name: exact, folded, token order, spelling variants, similar",
        "comparison_levels": [
            _level("name_fold_l IS NULL OR name_fold_r IS NULL", "null", null=True),
            _level("name_lc_l = name_lc_r", "exact with diacritics"),
            _level("name_fold_l = name_fold_r", "exact without diacritics"),
            _level("name_sorted_l = name_sorted_r", "same tokens, other order"),
            _level("name_phon_l = name_phon_r", "spelling variants"),
            _level(f"{jw_fold} >= 0.92", "jaro-winkler >= 0.92"),
            _level(f"{jw_phon} >= 0.88", "variants jaro-winkler >= 0.88"),
            _level("ELSE", "else"),
        ],
    }
    dob = {
        "output_column_name": "dob",
        "comparison_description": "date of birth: full or partial, day/month swapped",
        "comparison_levels": [
            _level("dob_y_l IS NULL OR dob_y_r IS NULL", "null", null=True),
            _level("dob_y_l = dob_y_r AND dob_m_l = dob_m_r AND dob_d_l = dob_d_r", "exact"),
            _level("dob_y_l = dob_y_r AND (dob_m_l IS NULL OR dob_m_r IS NULL "
                   "OR (dob_m_l = dob_m_r AND (dob_d_l IS NULL OR dob_d_r IS NULL)))", "partial, agrees"),
            _level("dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r", "day and month swapped"),
            _level("dob_y_l = dob_y_r AND dob_m_l = dob_m_r", "year and month"),
            _level("dob_y_l = dob_y_r", "year"),
            _level("dob_m_l = dob_m_r AND dob_d_l = dob_d_r AND abs(dob_y_l - dob_y_r) <= 10",
                   "day and month, year typo"),
            _level("abs(dob_y_l - dob_y_r) <= 1", "year +-1"),
            _level("ELSE", "else"),
        ],
    }
    # Two different valid IDs say two people (a card whose ID names nobody in the register belongs to
    # a non-resident); one or two digits apart is a clerk's slip or an ID contradicting its record.
    personal_id = {
        "output_column_name": "personal_id",
        "comparison_description": "personal ID: same, one or two digits apart, different",
        "comparison_levels": [
            _level("personal_id_l IS NULL OR personal_id_r IS NULL", "null", null=True),
            _level("personal_id_l = personal_id_r", "exact"),
            _level("levenshtein(personal_id_l, personal_id_r) <= 2", "one or two digits apart"),
            _level("ELSE", "else"),
        ],
    }
    return [
        personal_id, name, dob,
        _exact("sex", "sex"),
        _exact("commune_id", "commune"),
        _exact("village_id", "village"),
        _exact("hh_key", "household: a card at the same address is linked to a member"),
        _exact("person_hint", "SI code history: another card with this SI code is linked"),
    ]


# Each card meets the residents that share one of these; commune and birth year alone would pair
# every card with ~200 residents (45M pairs for 130k cards at Lào Cai scale), the full date or a
# name class with year or commune with a few dozen (about 6M), and they find the same true pairs.
PREDICTION_RULES = [
    "l.personal_id = r.personal_id",
    "l.name_phon = r.name_phon AND l.dob_y = r.dob_y",
    "l.name_phon = r.name_phon AND l.commune_id = r.commune_id",
    "l.commune_id = r.commune_id AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m",
    "l.commune_id = r.commune_id AND l.dob_y = r.dob_y AND l.dob_d = r.dob_d",
    "l.person_hint = r.person_hint",
    "l.hh_key = r.hh_key",
]
TRAINING_RULES = [
    "l.commune_id = r.commune_id AND l.dob_y = r.dob_y",  # trains ID, name, sex, village, household, history
    "l.name_phon = r.name_phon AND l.sex = r.sex",  # trains date of birth, commune (and the rest again)
    "l.village_id = r.village_id",  # trains date of birth again: small registers can fail the sessions above
]
# Pairs drawn to estimate u, and blocked pairs per EM session: enough for stable estimates, small
# enough that training costs seconds whatever the size of the province.
U_PAIRS = 2e6
EM_PAIRS = 5e5
logger = logging.getLogger(__name__)


def settings_for(dialect: str, *, n_persons: int) -> dict:
    return {
        "link_type": "link_only",
        "unique_id_column_name": "uid",
        "probability_two_random_records_match": 1.0 / max(n_persons, 2),
        "comparisons": comparisons(dialect),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": r} for r in PREDICTION_RULES],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }


# --- engines ------------------------------------------------------------------------------------

def _spark_session():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (
        SparkSession.builder.master("local[2]").appName("everydoor-link")
        .config("spark.jars", similarity_jar_location())  # Splink's jaro_winkler and friends
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


class Scorer:
    """Registers cards and residents on one engine, trains or loads a model, scores pairs.

    Inputs are tables on our DuckDB connection ``con`` (columns ``INPUT_COLUMNS``); the scores are
    written back there. DuckDB works on those tables in place; Spark reads them as Parquet, as it
    reads national extracts.
    """

    def __init__(self, con, cards_table: str, persons_table: str, *, engine: str = "duckdb",
                 settings: dict | None = None, n_persons: int | None = None):
        self.con, self.engine = con, engine
        # The display names are hashed with each record's id to draw EM's sample of blocked pairs (Splink's
        # em_sampling): fixed names make training on the same data give the same model. Spark's names are
        # views in a session every Scorer shares, so they must be unique there (and its training varies).
        suffix = "input" if engine == "duckdb" else uuid.uuid4().hex[:8]
        self.cards_name, persons_name = f"{CARDS}_{suffix}", f"{PERSONS}_{suffix}"
        if engine == "duckdb":
            from splink import DuckDBAPI

            self.api = DuckDBAPI(connection=con)
            left = self.api.register(cards_table, dataset_display_name=self.cards_name)
            right = self.api.register(persons_table, dataset_display_name=persons_name)
            self.dialect = "duckdb"
        elif engine == "spark":
            from splink import SparkAPI

            spark = _spark_session()
            self.api = SparkAPI(spark_session=spark)
            self._tmp = tempfile.TemporaryDirectory(prefix="everydoor-link-")
            spark.sparkContext.setCheckpointDir(os.path.join(self._tmp.name, "checkpoints"))
            frames = {}
            for name, table in ((CARDS, cards_table), (PERSONS, persons_table)):
                path = os.path.join(self._tmp.name, f"{name}.parquet")
                con.execute(f"COPY (SELECT {', '.join(INPUT_COLUMNS)} FROM {table}) TO '{path}' (FORMAT parquet)")
                frames[name] = spark.read.parquet(path)
            left = self.api.register(frames[CARDS], dataset_display_name=self.cards_name)
            right = self.api.register(frames[PERSONS], dataset_display_name=persons_name)
            self.dialect = "spark"
        else:
            raise ValueError(f"unknown engine {engine!r}")
        if settings is None:
            if n_persons is None:
                n_persons = con.sql(f"SELECT count(*) FROM {persons_table}").fetchall()[0][0]
            settings = settings_for(self.dialect, n_persons=n_persons)
        self._inputs = [left, right]
        self.linker = self._linker_for(settings)

    def _linker_for(self, settings: dict):
        from splink import Linker

        # Splink warns for every comparison level a training block cannot see (expected: the block
        # fixes those columns); EVERYDOOR_SPLINK_LOG=30 shows its warnings again.
        level = int(os.environ.get("EVERYDOOR_SPLINK_LOG", logging.ERROR))
        return Linker(self._inputs, settings, log_level=level)

    def train(self, *, u_pairs: float = U_PAIRS, em_pairs: float = EM_PAIRS) -> bool:
        """u from random pairs, m by EM on several blockings; False when the data are too few."""
        self.linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=42)
        trained = 0
        for rule in TRAINING_RULES:
            before = self.linker.misc.save_model_to_json()
            try:
                self.linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=em_pairs)
                trained += 1
            except (ValueError, EMTrainingException) as exc:
                # EM can drive an m value below float64 range on tiny or degenerate blocks: skip the
                # block, and start again from the model as it was (a failed session leaves it half-changed).
                logger.warning("EM training on %s skipped: %s", rule, exc)
                self.linker = self._linker_for(before)
        return trained > 0

    def settings_json(self) -> str:
        return json.dumps(self.linker.misc.save_model_to_json(), ensure_ascii=False)

    def predict_into(self, table: str) -> None:
        """Table ``table`` on ``con``: scored pairs (card_id, person_id, match_weight, match_probability)."""
        scored = self.linker.inference.predict(threshold_match_probability=SCORE_FLOOR, warning_mode="never")
        sql = (
            f"SELECT CASE WHEN source_dataset_l = '{self.cards_name}' THEN uid_l ELSE uid_r END AS card_id, "
            f"CASE WHEN source_dataset_l = '{self.cards_name}' THEN uid_r ELSE uid_l END AS person_id, "
            f"match_weight, match_probability FROM {scored.physical_name}"
        )
        if self.engine == "duckdb":
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
        else:
            self.con.register("scores_arrow", self.api.spark.sql(sql).toArrow())
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM scores_arrow")
            self.con.unregister("scores_arrow")
        scored.drop_table_from_database_and_remove_from_cache()


def model_dialect(settings_json: str) -> str:
    return json.loads(settings_json).get("sql_dialect", "duckdb")
