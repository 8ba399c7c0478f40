"""Budget: reconciliation <= 90 s and F1 >= 0.99 against the demo generator's truth (Lào Cai scale:
1.67M residents, 1.5M cards), next to a plain Splink model with default settings (default
comparisons, the same blocking) run on the same data in the same process.

    .venv/bin/python bench/link.py --truth var/demo/truth.csv     # on the database DATABASE_URL points at

The run starts from no links (existing links, review items and models are deleted first, unless
--keep) so that training, ID joins, scoring and writes are all measured.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BUDGET_S, BUDGET_F1 = 90.0, 0.99


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def score(predicted: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """predicted/truth: card_id -> personal_id. Precision over predicted links, recall over true ones."""
    joined = truth.join(predicted, on="card_id", how="full", suffix="_pred", coalesce=True)
    true_links = joined.filter(pl.col("personal_id").is_not_null())
    made = joined.filter(pl.col("personal_id_pred").is_not_null())
    correct = joined.filter(pl.col("personal_id") == pl.col("personal_id_pred")).height
    precision = correct / made.height if made.height else 0.0
    recall = correct / true_links.height if true_links.height else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}


def truth_by_card(path: Path) -> pl.DataFrame:
    from everydoor.linkage.frames import cards_frame, persons_frame

    truth = pl.read_csv(path, infer_schema_length=0).with_columns(pl.col("valid_from").str.to_date())
    cards = cards_frame().select("card_id", "card_number", "si_code", "valid_from")
    known = persons_frame().select("personal_id").drop_nulls()
    # A holder absent from the population file has no resident to be linked to.
    truth = truth.filter(pl.col("personal_id").is_in(known["personal_id"].implode()))
    return cards.join(truth, on=["card_number", "si_code", "valid_from"], how="left").select("card_id", "personal_id")


def ours() -> tuple[dict, pl.DataFrame, float]:
    from everydoor.linkage.selectors import links_export_frame  # noqa: F401  (warm import)
    from everydoor.linkage.services import link_run

    start = time.perf_counter()
    counts = link_run(retrain=True, progress=lambda m: print(f"  {time.perf_counter() - start:6.1f}s {m}",
                                                            file=sys.stderr))
    elapsed = time.perf_counter() - start
    from everydoor.linkage.frames import read_sql
    from everydoor.linkage.models import Link
    from everydoor.registry.models import Person

    links = read_sql(f"SELECT l.card_id, p.personal_id FROM {Link._meta.db_table} l "
                     f"JOIN {Person._meta.db_table} p ON p.id = l.person_id",
                     {"card_id": pl.Int64, "personal_id": pl.String})
    return counts, links, elapsed


def baseline() -> tuple[pl.DataFrame, float]:
    """Plain Splink: default comparisons on raw columns, same blocking, default training, p >= 0.5."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    from everydoor.linkage.frames import cards_frame, persons_frame
    from everydoor.linkage.model import PREDICTION_RULES

    start = time.perf_counter()
    cols = ["uid", "full_name", "dob", "sex", "commune_id", "name_phon", "dob_y"]

    def prepare(frame: pl.DataFrame, uid: str) -> pl.DataFrame:
        from everydoor.linkage.features import name_columns

        frame = name_columns(frame).with_columns(
            uid=pl.col(uid), dob_y=pl.col("dob_year"),
            dob=pl.when(pl.col("dob_month").is_not_null() & pl.col("dob_day").is_not_null()).then(
                pl.format("{}-{}-{}", pl.col("dob_year"), pl.col("dob_month").cast(pl.String).str.zfill(2),
                          pl.col("dob_day").cast(pl.String).str.zfill(2)))).with_columns(
            person_hint=pl.lit(None, pl.Int64), hh_key=pl.lit(None, pl.Int64))
        return frame.select(cols + ["person_hint", "hh_key"])

    cards = prepare(cards_frame(), "card_id")
    persons = prepare(persons_frame(), "person_id")
    api = DuckDBAPI()
    left = api.register(cards.to_arrow(), dataset_display_name="cards")
    right = api.register(persons.to_arrow(), dataset_display_name="persons")
    settings = SettingsCreator(
        link_type="link_only", unique_id_column_name="uid",
        comparisons=[cl.NameComparison("full_name"), cl.DateOfBirthComparison("dob", input_is_string=True),
                     cl.ExactMatch("sex"), cl.ExactMatch("commune_id")],
        blocking_rules_to_generate_predictions=PREDICTION_RULES[:3],
    )
    linker = Linker([left, right], settings, log_level=30)
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.commune_id = r.commune_id AND l.dob_y = r.dob_y", max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation("l.name_phon = r.name_phon", max_pairs=2e6)
    scored = linker.inference.predict(threshold_match_probability=0.5)
    best = api.duckdb_con.sql(f"""
        SELECT CASE WHEN source_dataset_l = 'cards' THEN uid_l ELSE uid_r END AS card_id,
               CASE WHEN source_dataset_l = 'cards' THEN uid_r ELSE uid_l END AS person_id, match_weight
        FROM {scored.physical_name}
        QUALIFY row_number() OVER (PARTITION BY card_id ORDER BY match_weight DESC) = 1
    """).pl()
    elapsed = time.perf_counter() - start
    pids = persons_frame().select(person_id="person_id", personal_id="personal_id")
    del duckdb
    return best.join(pids, on="person_id").select("card_id", "personal_id"), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--truth", type=Path, required=True, help="truth.csv written by the demo generator")
    parser.add_argument("--keep", action="store_true", help="keep existing links and decisions")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")
    import django

    django.setup()
    if not args.keep:
        from everydoor.linkage.models import Duplicate, Link, LinkRun, ReviewItem

        Duplicate.objects.all().delete()
        LinkRun.objects.all().delete()
        Link.objects.all().delete()
        ReviewItem.objects.all().delete()
    truth = truth_by_card(args.truth)
    counts, links, elapsed = ours()
    result = {"everydoor": {"seconds": round(elapsed, 1), "peak_rss_gb": round(peak_rss_gb(), 2),
                            **score(links, truth), **counts}}
    if not args.no_baseline:
        base_links, base_elapsed = baseline()
        result["plain_splink"] = {"seconds": round(base_elapsed, 1), "peak_rss_gb": round(peak_rss_gb(), 2),
                                  **score(base_links, truth)}
    result["budget"] = {"seconds": BUDGET_S, "f1": BUDGET_F1,
                        "met": elapsed <= BUDGET_S and result["everydoor"]["f1"] >= BUDGET_F1}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
