"""Where the year will end: valid cards and rates on a date, as a band, from what the registers imply.

    cards on D2 = cards already known to be valid on D2 (running past it, or renewed ahead)
                + each card due before D2 x the renewal rate its class showed in the registers' history
                + the recent pace of new enrolments x the days to D2

A card's class is its payer group and whether it would cost its household something to renew (a state-paid
card whose support ends becomes a paying one: it renews as paying cards did). Rates come from the periods
that ended in the year before D (their renewal window closed by D); the band takes each class's lowest and
highest monthly rate of that year, and the slowest and fastest month of enrolments in the last six.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl

from everydoor.coverage import columnar
from everydoor.coverage.selectors import Area, area_level
from everydoor.lapses import periods as pd
from everydoor.lapses import risk
from everydoor.lapses.services import Registers, _place, area_communes, lapse_rows

RENEWAL_WINDOW_DAYS = pd.RENEWAL_DAYS  # renewed within 30 days: so the periods of the last month before as-of count
# (a 60-day window left out the month before as-of, where the demo, as registers, holds many of the lapses)
MIN_CLASS_PERIODS = 50  # fewer past periods in a class: it takes the paying households' rate
PACE_DAYS = 90  # the recent pace of new enrolments: the last three months
HISTORY_SAMPLE = 300_000  # past periods read for the rates: enough for each class, within the time budget
FALLBACK_CLASS = "household/pays"


def card_class() -> pl.Expr:
    return pl.col("payer_group") + pl.when(pl.col("premium") > 0).then(pl.lit("/pays")).otherwise(pl.lit("/free"))


def renewal_rates(regs: Registers, *, as_of: dt.date, province: str | None) -> pl.DataFrame:
    """Per class: periods observed, the share renewed within RENEWAL_WINDOW_DAYS, its monthly low and high.
    Learned once per version of the registers and date (kept beside the columnar copy)."""
    if regs.known_on is None:
        return columnar.derived(f"lapses-rates-{as_of.isoformat()}-{province or 'all'}",
                                lambda: _learn_rates(regs, as_of=as_of, province=province))
    return _learn_rates(regs, as_of=as_of, province=province)


def _learn_rates(regs: Registers, *, as_of: dt.date, province: str | None) -> pl.DataFrame:
    history = risk.training_rows(regs, as_of=as_of - dt.timedelta(days=RENEWAL_WINDOW_DAYS - pd.RENEWAL_DAYS),
                                 province=province, sample=HISTORY_SAMPLE)
    history = history.with_columns(renewed=pd.renewed_within(RENEWAL_WINDOW_DAYS), card_class=card_class(),
                                   month=pl.col("valid_to").dt.truncate("1mo"))
    monthly = history.group_by("card_class", "month").agg(rate=pl.col("renewed").mean(), n=pl.len()).filter(
        pl.col("n") >= 30)
    rates = history.group_by("card_class").agg(periods=pl.len(), rate=pl.col("renewed").mean()).join(
        monthly.group_by("card_class").agg(low=pl.col("rate").min(), high=pl.col("rate").max()), on="card_class",
        how="left")
    return rates.with_columns(low=pl.coalesce("low", "rate"), high=pl.coalesce("high", "rate")).sort("card_class")


def _rates_for(due: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Each due card's class rates; a class with little history takes the paying households' rates."""
    usable = rates.filter(pl.col("periods") >= MIN_CLASS_PERIODS)
    fallback = usable.filter(pl.col("card_class") == FALLBACK_CLASS)
    if fallback.is_empty():
        fallback = usable.select(pl.lit(FALLBACK_CLASS).alias("card_class"), pl.col("rate").mean(),
                                 pl.col("low").mean(), pl.col("high").mean())
    first = fallback.row(0, named=True) if not fallback.is_empty() else {}
    first = {k: first.get(k) if first.get(k) is not None else 0.0 for k in ("rate", "low", "high")}  # no history
    out = due.with_columns(card_class=card_class()).join(
        usable.select("card_class", "rate", "low", "high"), on="card_class", how="left")
    return out.with_columns(
        learned=pl.col("rate").is_not_null(),
        rate=pl.col("rate").fill_null(first["rate"]), low=pl.col("low").fill_null(first["low"]),
        high=pl.col("high").fill_null(first["high"]))


def _new_enrolments(regs: Registers) -> pl.DataFrame:
    """Every period that starts a participant's coverage (none in the 60 days before), placed: once per version."""
    def build() -> pl.DataFrame:
        fresh = pd.new_enrolments(regs.periods, start=dt.date.min, end=dt.date.max)
        return _place(regs.periods.join(fresh.select("card_id"), on="card_id"), regs.persons).select(
            "card_id", "valid_from", "commune_id")
    return columnar.derived("lapses-new-enrolments", build) if regs.known_on is None else build()


def enrolment_pace(regs: Registers, *, as_of: dt.date, commune_ids: list[int] | None) -> dict:
    """New enrolments per day over the last PACE_DAYS, and the slowest and fastest 30 days of the last 180."""
    placed = _new_enrolments(regs).filter((pl.col("valid_from") > as_of - dt.timedelta(days=180))
                                          & (pl.col("valid_from") <= as_of))
    if commune_ids is not None:
        placed = placed.filter(pl.col("commune_id").is_in(commune_ids))
    days = (as_of - placed["valid_from"]).dt.total_days() if placed.height else pl.Series([], dtype=pl.Int64)
    windows = [int(((days >= k * 30) & (days < (k + 1) * 30)).sum()) / 30 for k in range(6)]
    recent = int((days < PACE_DAYS).sum()) / PACE_DAYS
    return {"per_day": recent, "low": min(windows), "high": max(windows), "last_180_days": placed.height}


def area_cards(regs: Registers, day: dt.date, commune_ids: list[int] | None, village_id: int | None) -> int:
    """Cards valid on a day in the area, placed as coverage places them."""
    cards = _place(regs.periods.filter(pd.valid_on(day)), regs.persons)
    if commune_ids is not None:
        cards = cards.filter(pl.col("commune_id").is_in(commune_ids))
    if village_id is not None:
        cards = cards.filter(pl.col("village_id") == village_id)
    return cards.height


def _residents(regs: Registers, as_of: dt.date, commune_ids: list[int] | None) -> int:
    people = regs.persons.filter(
        (pl.col("status").is_in(["resident", ""]) & (pl.col("status_date").is_null() | (pl.col("status_date") <= as_of)))
        | (pl.col("status").is_in(["moved_out", "deceased"]) & (pl.col("status_date") > as_of)))
    people = people.filter(pl.coalesce(pl.col("dob"), pl.date(pl.col("dob_year"), 1, 1)) <= as_of)
    if commune_ids is not None:
        people = people.filter(pl.col("commune_id").is_in(commune_ids))
    return people.height


def _plan(area: Area, year: int) -> dict | None:
    from everydoor.coverage.services import plans_frame

    plans = plans_frame(year=year).filter((pl.col("level") == area_level(area)) & (pl.col("area_code") == area.code))
    if plans.is_empty():
        return None
    row = plans.row(0, named=True)
    return {"metric": row["metric"], "value": row["plan_value"]}


def forecast(*, area: Area, as_of: dt.date, at: dt.date, regs: Registers, rows: pl.DataFrame | None = None,
             rates: pl.DataFrame | None = None, today: dt.date | None = None) -> dict:
    """The band of valid cards on `at`, its parts, the coverage rates and the plan's gap per week."""
    commune_ids, village_id = area_communes(area)
    province = getattr(area, "province_code", None) or getattr(getattr(area, "province", None), "code", None)
    if rows is None:
        rows = lapse_rows(regs, as_of=as_of, until=at, commune_ids=commune_ids, village_id=village_id,
                          province=province)
    rates = rates if rates is not None else renewal_rates(regs, as_of=as_of, province=province)
    certain = area_cards(regs, at, commune_ids, village_id)
    due = _rates_for(rows.filter(pl.col("card_lapses")), rates)
    renewals = {k: float(due[k].sum()) for k in ("low", "rate", "high")}
    pace = enrolment_pace(regs, as_of=as_of, commune_ids=commune_ids)
    days = (at - as_of).days
    band = {
        "low": round(certain + renewals["low"] + pace["low"] * days),
        "expected": round(certain + renewals["rate"] + pace["per_day"] * days),
        "high": round(certain + renewals["high"] + pace["high"] * days),
    }
    band["low"], band["high"] = min(band.values()), max(band.values())
    residents = _residents(regs, as_of, commune_ids)
    plan = _plan(area, at.year)
    start = today if today is not None and as_of <= today < at else as_of  # weeks left from today, if within
    weeks = max((at - start).days, 1) / 7
    target = None
    if plan is not None:
        target = plan["value"] if plan["metric"] == "participants" else math.ceil(plan["value"] / 100 * residents)
    by_class = due.group_by("card_class").agg(due=pl.len(), rate=pl.col("rate").first(), learned=pl.col("learned").first(),
                                              expected_renewals=pl.col("rate").sum().round(0)).sort("due", descending=True)
    return {
        "area": getattr(area, "name", str(area)), "as_of": as_of, "at": at,
        "cards_valid_on_as_of": area_cards(regs, as_of, commune_ids, village_id),
        "cards": band,
        "rate_pct": {k: round(100 * v / residents, 2) if residents else None for k, v in band.items()},
        "residents": residents,
        "parts": {"known_valid_on_at": certain, "due": due.height,
                  "expected_renewals": round(renewals["rate"]),
                  "new_enrolments_per_day": round(pace["per_day"], 1),
                  "expected_new_enrolments": round(pace["per_day"] * days)},
        "by_class": by_class.to_dicts(),
        "plan": None if target is None else {
            "cards": round(target), "metric": plan["metric"],
            "gap": {k: round(target - v) for k, v in band.items()},
            "cards_needed_per_week": {k: max(0, math.ceil((target - v) / weeks)) for k, v in band.items()},
            "weeks_left": round(weeks, 1)},
    }
