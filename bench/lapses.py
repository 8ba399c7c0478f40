"""Budget: the lapse back-test on the full demo, and the time of `lapses` (<= 10 s) and `forecast` (<= 5 s).

From the registers as known on 2024-10-31 (card periods starting later are hidden), forecast the cards
valid on 2025-10-31 and compare with what the registers hold for that date (goal: within 1%), part by part:
the cards already known valid then, each class's renewals (its learned rate against the share of its due
cards whose holder held a card on 2025-10-31) and the new enrolments (the pace against the rest of the
cards valid on 2025-10-31). Then rank the cards due in that year three ways and
score each against what happened (not renewed within 30 days of the card's end): the risk model trained on
the registers of 2024-10-31 (expected loss), the naive ordering by end date, and the 14-day rule openIMIS
uses (policies expiring within 14 days listed first); ROC AUC and the share of actual lapses in the top 20%
of each list, in the same run. Then the commands themselves, as a user runs them (a new process each):
`everydoor lapses` for the province (2025-10-31 until 2026-01-01) and `everydoor forecast` (to 2025-12-31),
cold (the first run after an import: the registers' columnar copy and the frames derived from it are
made, coverage/columnar.py) and warm (they are reused).

    .venv/bin/python bench/lapses.py          # the database DATABASE_URL points at (default var/), as it is
    .venv/bin/python bench/lapses.py --timings # only the commands' timings

Needs the demo built (`everydoor demo`, or the var/ copy of COMMON.md) with its certificates and list
statuses imported. Writes a risk model version (the back-test's) into that database.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

THEN, NOW = dt.date(2024, 10, 31), dt.date(2025, 10, 31)
YEAR_END = dt.date(2026, 1, 1)
BUDGET_LAPSES_S, BUDGET_FORECAST_S, GOAL_ERROR = 10.0, 5.0, 0.01


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")
    import django

    django.setup()


def _auc(score: np.ndarray, truth: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(truth, score)), 4)


def _top_share(score: np.ndarray, truth: np.ndarray, tie_break: np.ndarray) -> float:
    """Share of the actual lapses found in the first 20% of the list (ties in random order)."""
    order = np.lexsort((tie_break, -score))
    top = order[: int(len(order) * 0.2)]
    return round(float(truth[top].sum() / max(truth.sum(), 1)), 4)


def _parts(then, now, province, projected: dict) -> dict:
    """The back-test's error part by part (the forecast's own rows and rates, what the registers then held)."""
    from everydoor.lapses import forecast as fc
    from everydoor.lapses import periods as pd
    from everydoor.lapses.services import _place, area_communes, lapse_rows

    communes, _ = area_communes(province)
    rows = lapse_rows(then, as_of=THEN, until=NOW, commune_ids=communes, province="15")
    due = fc._rates_for(rows.filter(pl.col("card_lapses")), fc.renewal_rates(then, as_of=THEN, province="15"))
    due = due.with_columns(counted=fc.counted_once())
    held = _place(now.periods.filter(pd.valid_on(NOW))).filter(pl.col("commune_id").is_in(communes))
    due = due.with_columns(held=pl.col("si_code").is_in(held["si_code"].implode())
                           | pl.col("person_id").is_in(held["person_id"].drop_nulls().implode()))
    by_class = due.group_by("card_class").agg(
        due=pl.len(), learned=pl.col("rate").first().round(4),
        realised=(pl.col("held") & pl.col("counted")).sum() / pl.col("counted").sum(),
        expected=pl.col("rate").filter(pl.col("counted")).sum().round(0),
        actual=(pl.col("held") & pl.col("counted")).sum(),
    ).with_columns(pl.col("realised").round(4), error=pl.col("expected") - pl.col("actual")).sort("due", descending=True)
    parts = projected["parts"]
    renewed = int(by_class["actual"].sum())
    return {
        "known_valid_on_at": parts["known_valid_on_at"],
        "renewals": {"expected": parts["expected_renewals"], "actual": renewed},
        # the rest of the cards valid on NOW: new participants, and second cards of those already insured
        "new_enrolments": {"expected": parts["expected_new_enrolments"],
                           "actual": held.height - parts["known_valid_on_at"] - renewed,
                           "per_day": parts["new_enrolments_per_day"]},
        "by_class": by_class.to_dicts(),
    }


def _command(args: list[str], cold: bool) -> float:
    """Seconds of one `everydoor ...` run in a new process; cold: without the columnar copy of the registers."""
    from django.conf import settings

    from everydoor.coverage import columnar

    if cold:
        shutil.rmtree(Path(settings.VAR_DIR) / "columnar" / columnar.version_key(), ignore_errors=True)
    everydoor = Path(sys.executable).with_name("everydoor")
    started = time.perf_counter()
    subprocess.run([str(everydoor), *args], check=True, capture_output=True)
    return round(time.perf_counter() - started, 2)


def timings() -> dict:
    lapses = ["lapses", "--area", "Lào Cai", "--as-of", str(NOW), "--until", str(YEAR_END), "--json"]
    forecast = ["forecast", "--area", "Lào Cai", "--as-of", str(NOW), "--at", "2025-12-31", "--json"]
    out = {}
    for name, args, budget in (("lapses", lapses, BUDGET_LAPSES_S), ("forecast", forecast, BUDGET_FORECAST_S)):
        cold = _command(args, cold=True)
        warm = [_command(args, cold=False) for _ in range(2)]
        out[name] = {"cold_s": cold, "warm_s": warm, "budget_s": budget, "cold_within": cold <= budget,
                     "warm_within": min(warm) <= budget}
        print(json.dumps({name: out[name]}), file=sys.stderr)
    return out


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timings", action="store_true", help="only the commands' timings")
    only_timings = parser.parse_args().timings
    _setup()
    from everydoor.geo.models import AdminUnit
    from everydoor.lapses import forecast as fc
    from everydoor.lapses import periods as pd
    from everydoor.lapses import risk
    from everydoor.lapses.services import lapse_list, registers_read
    from everydoor.registry.models import Card

    province = AdminUnit.objects.filter(level="province", code="15").first()
    if province is None or not Card.objects.filter(valid_from__lte=THEN).exists():
        return {"skipped": "needs the full demo (everydoor demo --no-serve) in the database DATABASE_URL names"}
    out: dict = {"database": os.environ.get("DATABASE_URL", "sqlite (var/)")}
    if only_timings:
        out["commands"] = timings()
        return out

    # --- the back-test: the registers as known a year before ---
    started = time.perf_counter()
    then = registers_read(known_on=THEN)
    now = registers_read()
    actual = fc.area_cards(now, NOW, None, None)
    projected = fc.forecast(area=province, as_of=THEN, at=NOW, regs=then)
    error = (projected["cards"]["expected"] - actual) / actual
    out["forecast_backtest"] = {
        "as_of": str(THEN), "at": str(NOW), "actual_cards": actual, "projected": projected["cards"],
        "error_pct": round(100 * error, 2), "goal_pct": 100 * GOAL_ERROR, "within_goal": abs(error) <= GOAL_ERROR,
        "actual_within_band": projected["cards"]["low"] <= actual <= projected["cards"]["high"],
        "parts": _parts(then, now, province, projected)}
    print(json.dumps(out["forecast_backtest"], default=str), file=sys.stderr)

    # --- the risk ranking against what happened ---
    model = risk.train(as_of=THEN, regs=then, province="15")
    due = lapse_list(area=province, as_of=THEN, until=NOW, regs=then)["rows"].filter(pl.col("card_lapses"))
    outcome = now.periods.select("card_id", "valid_to", "next_from").filter(
        pl.col("card_id").is_in(due["card_id"].implode())).with_columns(lapsed=~pd.renewed_within())
    due = due.join(outcome.select("card_id", "lapsed"), on="card_id")
    truth = due["lapsed"].to_numpy().astype(int)
    tie = np.random.default_rng(0).random(due.height)
    days_left = (due["valid_to"] - THEN).dt.total_days().to_numpy()
    orderings = {
        "risk model (expected loss)": due["expected_loss"].to_numpy(),
        "risk model (risk alone)": due["risk"].to_numpy(),
        "naive: by end date": -days_left.astype(float),
        "14-day rule (openIMIS)": (days_left <= 14).astype(float),
    }
    out["risk_backtest"] = {
        "model_version": model.version, "model_held_out_auc": model.metrics["held_out_roc_auc"],
        "due_cards": due.height, "actual_lapses": int(truth.sum()), "base_rate": round(float(truth.mean()), 4),
        "orderings": {name: {"roc_auc": _auc(score, truth), "top_20pct_share_of_lapses": _top_share(score, truth, tie)}
                      for name, score in orderings.items()},
    }
    out["backtest_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out["risk_backtest"]), file=sys.stderr)
    del then, now

    # --- the budgets: the commands as a user runs them, cold then warm ---
    out["commands"] = timings()
    return out


if __name__ == "__main__":
    print(json.dumps(main(), default=str, indent=2))
