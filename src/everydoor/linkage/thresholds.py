"""Choosing the link and review thresholds from the data, not 0.5 (probabilities are not calibrated).

The labels come for free: cards already linked by personal ID are scored again as if they had
no ID; their true resident is known. The link threshold is the one with the best F1 on them; the
review threshold keeps 99.9% of their correct best candidates. Without such cards, the model's own
probabilities stand in for the labels (expected F1).
"""

import math

import polars as pl

MIN_LOWER = 0.01


def _mid_log_odds(a: float, b: float) -> float:
    def logit(p: float) -> float:
        p = min(max(p, 1e-12), 1 - 1e-12)
        return math.log(p / (1 - p))

    mid = (logit(a) + logit(b)) / 2
    return 1 / (1 + math.exp(-mid))


def choose_thresholds(best: pl.DataFrame, n_cards: int | None = None) -> tuple[float, float]:
    """(lower, upper) from best candidates: columns match_probability and correct (bool or 0..1).

    ``n_cards`` is how many cards should have a link (default: the expected number).
    """
    if best.is_empty():
        return 0.05, 0.9
    frame = best.select(
        p=pl.col("match_probability"), ok=pl.col("correct").cast(pl.Float64)
    ).sort("p", descending=True)
    total = float(n_cards) if n_cards is not None else float(frame["ok"].sum())
    frame = frame.with_columns(tp=pl.col("ok").cum_sum(), fp=(1 - pl.col("ok")).cum_sum())
    # Only thresholds at the last row of each distinct probability are achievable.
    frame = frame.group_by("p").agg(pl.col("tp").max(), pl.col("fp").max()).sort("p", descending=True)
    frame = frame.with_columns(f1=2 * pl.col("tp") / (pl.col("tp") + pl.col("fp") + total))
    # Of equally good thresholds, the lowest; then half-way (in log-odds) to the next lower
    # candidate, which is the first that costs F1: the widest margin on both sides.
    top = frame["f1"].max()
    plateau_low = frame.filter(pl.col("f1") >= top - 1e-12)["p"].min()
    below = frame.filter(pl.col("p") < plateau_low)["p"]
    upper = float(plateau_low) if below.is_empty() else _mid_log_odds(float(plateau_low), float(below.max()))
    good = frame.filter(pl.col("tp") >= 0.999 * frame["tp"].max()).sort("p", descending=True)
    lower = float(good["p"][0]) if good.height else upper
    lower = max(MIN_LOWER, min(lower, upper * 0.5))
    return lower, max(upper, lower)
