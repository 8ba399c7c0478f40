"""Budget: the lapse back-test on the full demo, and the time of `lapses` (<= 10 s) and `forecast` (<= 5 s).

From the registers as known on 2024-10-31 (card periods starting later are hidden), forecast the cards
valid on 2025-10-31 and compare with what the registers hold for that date (goal: within 1%). Then rank
the cards due in that year three ways and score each against what happened (not renewed within 30 days
of the card's end): the risk model trained on the registers of 2024-10-31 (expected loss), the naive
ordering by end date, and the 14-day rule openIMIS uses (policies expiring within 14 days listed first);
ROC AUC and the share of actual lapses in the top 20% of each list, in the same run. Then the time of
the lapse list (province, 2025-10-31 until 2026-01-01) and of the forecast, warm (the registers'
columnar copy and the periods' successors made once per version: the first run after an import makes
them, "cold" below).

    .venv/bin/python bench/lapses.py          # the database DATABASE_URL points at (default var/), as it is

Needs the demo built (`everydoor demo`, or the var/ copy of COMMON.md) with its certificates and list
statuses imported. Writes a risk model version (the back-test's) into that database.
"""

import datetime as dt
import json
import os
import sys
import time

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


def main() -> dict:
    _setup()
    from everydoor.geo.models import AdminUnit
    from everydoor.lapses import forecast as fc
    from everydoor.lapses import periods as pd
    from everydoor.lapses import risk
    from everydoor.lapses.scenario import forecast_with
    from everydoor.lapses.services import lapse_list, registers_read
    from everydoor.registry.models import Card

    province = AdminUnit.objects.filter(level="province", code="15").first()
    if province is None or not Card.objects.filter(valid_from__lte=THEN).exists():
        return {"skipped": "needs the full demo (everydoor demo --no-serve) in the database DATABASE_URL names"}
    out: dict = {"database": os.environ.get("DATABASE_URL", "sqlite (var/)")}

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
        "parts": projected["parts"]}
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

    # --- the budgets, warm: the lapse list and the forecast of the province ---
    timings = {}
    for label in ("first", "warm", "warm"):
        started = time.perf_counter()
        result = lapse_list(area=province, as_of=NOW, until=YEAR_END)
        timings.setdefault("lapses", []).append(round(time.perf_counter() - started, 2))
        started = time.perf_counter()
        forecast_with(area=province, as_of=NOW, at=dt.date(2025, 12, 31))
        timings.setdefault("forecast", []).append(round(time.perf_counter() - started, 2))
        del label
    out["lapses"] = {"rows": result["rows"].height, "seconds": timings["lapses"], "budget_s": BUDGET_LAPSES_S,
                     "warm_best_s": min(timings["lapses"][1:])}
    out["forecast"] = {"seconds": timings["forecast"], "budget_s": BUDGET_FORECAST_S,
                       "warm_best_s": min(timings["forecast"][1:])}
    return out


if __name__ == "__main__":
    print(json.dumps(main(), default=str, indent=2))
