"""The published figures the demo province reproduces, and their split over communes.

Figures are Lào Cai's (merged) at the end of October 2025 (DOMAIN.md, press). Every
count scales with ``scale`` (rounded); the split over the 99 communes is exact (largest
remainder), so commune figures always add up to the province's.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from everydoor.campaign.allocation import allocate

AS_OF = dt.date(2025, 10, 31)
YEAR_BEFORE = dt.date(2024, 10, 31)
# The card file's history starts here: a full year of periods ended before YEAR_BEFORE's renewals were due
# (a forecast as of YEAR_BEFORE learns from the periods that ended from 2 October 2023 on).
HISTORY_START = dt.date(2023, 10, 1)

RESIDENTS = 1_673_064
VALID_CARDS = 1_475_810
VALID_CARDS_YEAR_BEFORE = 1_533_228
PLAN_CARDS = 1_579_758
PLAN_DECISION = "462/QĐ-BHXH"
PLAN_YEAR = 2025
BAO_THANG_VALID = 114_149
BAO_THANG_GAIN = 7_924
BAO_THANG_PLAN_SHARE = 0.94

LAGGING_COMMUNES = (
    "xahopthanh", "xakhanhyen", "xavolao", "xacocsan", "xaduongquy", "xathuongbangla",
    "xabanlau", "xamuongbo",
)
HIGH_COMMUNES = {"xaxuanquang": 0.92}  # commune key -> coverage it must exceed

# Yearly flows, as shares of residents (mountainous province: young, high birth rate).
BIRTH_RATE = 0.0165
MOVE_IN_RATE = 0.009
DEATH_RATE = 0.0055
MOVE_OUT_RATE = 0.011
# Shares within the flows.
BABY_CARD_SHARE = 0.96  # babies with a TE card by the extract date
MOVER_IN_CARD_SHARE = 0.85
DECEASED_CARD_SHARE = 0.92
MOVED_OUT_CARD_SHARE = 0.88
MOVED_OUT_STILL_VALID = 0.35  # cards of people who moved out that run to their term
NON_RESIDENT_CARD_SHARE = 0.008  # of valid cards: holders absent from the register
DOUBLE_CARD_SHARE = 0.002  # of valid cards: a resident's second valid card


def scaled(value: int, scale: float) -> int:
    return int(round(value * scale))


def _split(total: int, in_group: np.ndarray, group_total: int, weights: np.ndarray) -> np.ndarray:
    out = np.zeros(len(weights), dtype=np.int64)
    out[in_group] = allocate(group_total, weights[in_group])
    out[~in_group] = allocate(total - group_total, weights[~in_group])
    return out


def province_targets(scale: float) -> dict[str, int]:
    valid = scaled(VALID_CARDS, scale)
    bao_thang = scaled(BAO_THANG_VALID, scale)
    return {
        "residents": scaled(RESIDENTS, scale),
        "valid_cards": valid,
        "valid_cards_year_before": scaled(VALID_CARDS_YEAR_BEFORE, scale),
        "plan_cards": scaled(PLAN_CARDS, scale),
        "bao_thang_valid_cards": bao_thang,
        "bao_thang_valid_cards_year_before": bao_thang - scaled(BAO_THANG_GAIN, scale),
        "bao_thang_plan_cards": int(round(BAO_THANG_VALID / BAO_THANG_PLAN_SHARE * scale)),
    }


def commune_counts(
    communes: pl.DataFrame, pop_weights: np.ndarray, declassified: np.ndarray, scale: float,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Per commune: residents, valid cards on both dates, plan, and every flow behind them."""
    t = province_targets(scale)
    n = communes.height
    keys = communes["commune_key"].to_numpy()
    bao_thang = (communes["unit_code"] == "BHXH-BAOTHANG").to_numpy()
    lagging = np.isin(keys, LAGGING_COMMUNES)

    # Coverage on the as-of date and change on the year, by kind of commune.
    rate = np.clip(rng.normal(0.89, 0.025, n), 0.845, 0.96)
    rate[lagging] = rng.uniform(0.78, 0.845, lagging.sum())
    rate[bao_thang] = rng.uniform(0.915, 0.94, bao_thang.sum())
    for key, floor in HIGH_COMMUNES.items():
        rate[keys == key] = floor + 0.025
    change = np.clip(rng.normal(0.97, 0.012, n), 0.94, 1.0)
    change[declassified] = rng.uniform(0.91, 0.94, declassified.sum())
    change[lagging] = rng.uniform(0.90, 0.93, lagging.sum())
    change[bao_thang] = rng.uniform(1.06, 1.09, bao_thang.sum())
    change = np.maximum(change, rate / 0.95)  # a year earlier no commune was above 95%
    attained = np.clip(rng.normal(0.945, 0.02, n), 0.9, 0.99)
    attained[lagging] = rng.uniform(0.86, 0.9, lagging.sum())
    attained[bao_thang] = BAO_THANG_PLAN_SHARE

    bt_residents = int(round(t["bao_thang_valid_cards"] / 0.93))
    residents = _split(t["residents"], bao_thang, bt_residents, pop_weights)
    valid = _split(t["valid_cards"], bao_thang, t["bao_thang_valid_cards"], residents * rate)
    before = _split(
        t["valid_cards_year_before"], bao_thang, t["bao_thang_valid_cards_year_before"],
        valid / change,
    )
    plan = _split(t["plan_cards"], bao_thang, t["bao_thang_plan_cards"], valid / attained)

    def share(base: np.ndarray, ratio: float) -> np.ndarray:
        return np.round(base * ratio).astype(np.int64)

    babies, movers_in = share(residents, BIRTH_RATE), share(residents, MOVE_IN_RATE)
    stayers = residents - babies - movers_in
    deceased, moved_out = share(residents, DEATH_RATE), share(residents, MOVE_OUT_RATE)
    babies_card = share(babies, BABY_CARD_SHARE)
    movers_in_card = share(movers_in, MOVER_IN_CARD_SHARE)
    deceased_card = share(deceased, DECEASED_CARD_SHARE)
    moved_out_card = share(moved_out, MOVED_OUT_CARD_SHARE)
    moved_out_valid = share(moved_out_card, MOVED_OUT_STILL_VALID)
    nonres_now = share(valid, NON_RESIDENT_CARD_SHARE)
    nonres_before = share(before, NON_RESIDENT_CARD_SHARE)
    nonres_both = share(np.minimum(nonres_now, nonres_before), 0.75)
    double_now, double_before = share(valid, DOUBLE_CARD_SHARE), share(before, DOUBLE_CARD_SHARE)

    # Stayers covered on each date; the rest of the change is lapses and new enrolments.
    stay_now = valid - double_now - nonres_now - moved_out_valid - babies_card - movers_in_card
    stay_before = before - double_before - nonres_before - deceased_card - moved_out_card
    if (stay_now > stayers).any() or (stay_before > stayers).any():
        raise ValueError("coverage targets exceed the residents of a commune")
    lapse_rate = np.where(declassified | lagging, rng.uniform(0.08, 0.11, n), rng.uniform(0.035, 0.05, n))
    lapsed = np.round(stay_before * lapse_rate).astype(np.int64)
    enrolled = stay_now - stay_before + lapsed
    lapsed = np.where(enrolled < 0, lapsed - enrolled, lapsed)
    enrolled = np.maximum(enrolled, 0)
    room = stayers - stay_before
    lapsed = np.where(enrolled > room, lapsed - (enrolled - room), lapsed)
    enrolled = np.minimum(enrolled, room)
    both = stay_before - lapsed
    never = stayers - both - lapsed - enrolled

    return pl.DataFrame(
        {
            "commune_idx": communes["commune_idx"], "residents": residents, "valid": valid,
            "valid_before": before, "plan": plan, "stayers": stayers, "babies": babies,
            "movers_in": movers_in, "deceased": deceased, "moved_out": moved_out,
            "babies_card": babies_card, "movers_in_card": movers_in_card,
            "deceased_card": deceased_card, "moved_out_card": moved_out_card,
            "moved_out_valid": moved_out_valid, "nonres_now": nonres_now,
            "nonres_before": nonres_before, "nonres_both": nonres_both,
            "double_now": double_now, "double_before": double_before, "covered_both": both,
            "lapsed": lapsed, "enrolled": enrolled, "never": never,
            "declassified": declassified,
        }
    )
