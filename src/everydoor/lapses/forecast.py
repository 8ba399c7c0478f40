"""Where the year will end: valid cards and rates on a date, as a band, from what the registers imply.

    cards on D2 = cards already known to be valid on D2 (running past it, or renewed ahead)
                + each card due before D2 x the renewal rate its class showed in the registers' history
                + the recent pace of new enrolments x the days to D2

A card's class is its payer group and whether it would cost its household something to renew, and whether
that cost comes from a support that ends (a certificate, the commune's listing, the months after it left the
list): such a card renews as cards that lost their support did before, or, with no such history, as the paying
households' cards did. (Without the mark, a state card whose support ends took the rate of the state cards
that cost something to renew for other reasons, e.g. a child turning 6, who nearly all renew.) Rates come from the periods
that ended in the year before D (their renewal window closed by D); the band takes each class's lowest and
highest monthly rate of that year, and the slowest and fastest month of enrolments in the last six.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math

import polars as pl

from everydoor.coverage import columnar
from everydoor.coverage.selectors import Area, area_level
from everydoor.lapses import periods as pd
from everydoor.lapses import risk
from everydoor.lapses.services import (
    Registers,
    _place,
    _placement,
    area_communes,
    lapse_rows,
    placed_count,
    province_of,
)

RENEWAL_WINDOW_DAYS = pd.RENEWAL_DAYS  # renewed within 30 days: so the periods of the last month before as-of count
# (a 60-day window left out the month before as-of, where the demo, as registers, holds many of the lapses)
MIN_CLASS_PERIODS = 50  # fewer past periods in a class: it takes the paying households' rate
PACE_MONTHS = 3  # the recent pace of new enrolments: the last three calendar months
HISTORY_SAMPLE = 300_000  # past periods read for the rates: enough for each class, within the time budget
FALLBACK_CLASS = "household/pays"


SUPPORT_LOST = ("certificate_ends", "commune_leaves_list", "declassified_support_ends")


def card_class() -> pl.Expr:
    pays = pl.col("premium") > 0
    return (pl.col("payer_group") + pl.when(pays).then(pl.lit("/pays")).otherwise(pl.lit("/free"))
            + pl.when(pays & pl.col("reason").is_in(SUPPORT_LOST)).then(pl.lit("/support ends")).otherwise(pl.lit("")))


def renewal_rates(regs: Registers, *, as_of: dt.date, province: str | None) -> pl.DataFrame:
    """Per class: periods observed, the share renewed within RENEWAL_WINDOW_DAYS, its monthly low and high.
    Learned once per version of the registers and date (kept beside the columnar copy)."""
    if regs.known_on is None:
        return columnar.derived(f"lapses-rates-{as_of.isoformat()}-{province or 'all'}",
                                lambda: _learn_rates(regs, as_of=as_of, province=province))
    return _learn_rates(regs, as_of=as_of, province=province)


def _learn_rates(regs: Registers, *, as_of: dt.date, province: str | None) -> pl.DataFrame:
    """Rates per holder, not per period: of the holders whose card ended in the year, the share who renewed
    every time. A holder paying six months at a time has two periods ending in a year and lapses at most
    once; counted per period, such lapses weighed half, and a card due once to the next year end was
    projected to renew more often than it did. Each sampled period weighs 1 / its holder's periods in the year."""
    history = risk.training_rows(regs, as_of=as_of - dt.timedelta(days=RENEWAL_WINDOW_DAYS - pd.RENEWAL_DAYS),
                                 province=province, sample=HISTORY_SAMPLE)
    last_end = as_of - dt.timedelta(days=RENEWAL_WINDOW_DAYS)
    holder = pl.when(pl.col("si_code") != "").then(pl.col("si_code"))
    per_holder = regs.periods.filter(
        (pl.col("valid_to") <= last_end) & (pl.col("valid_to") > last_end - dt.timedelta(days=risk.WINDOW_DAYS))
    ).group_by(_holder=holder).agg(_ended=pl.len()).drop_nulls("_holder")
    history = history.with_columns(_holder=holder).join(per_holder, on="_holder", how="left").with_columns(
        weight=1 / pl.col("_ended").fill_null(1), lapsed=(~pd.renewed_within(RENEWAL_WINDOW_DAYS)).cast(pl.Float64),
        card_class=card_class(), month=pl.col("valid_to").dt.truncate("1mo"))
    rate = (1 - pl.col("lapsed").sum() / pl.col("weight").sum()).clip(0, 1)
    monthly = history.group_by("card_class", "month").agg(rate=rate, n=pl.len()).filter(pl.col("n") >= 30)
    rates = history.group_by("card_class").agg(periods=pl.len(), rate=rate).join(
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


def counted_once() -> pl.Expr:
    """Whether a due card counts toward the renewals: a resident holding two cards that both end (a second
    card beside the main one) renews into one card, as the registers show their next card once; the card
    that ends last counts. Cards of holders not linked to a resident all count."""
    last = pl.col("card_id") == pl.col("card_id").sort_by("valid_to", "card_id", descending=True).first().over("person_id")
    return pl.col("person_id").is_null() | last


def _new_enrolments(regs: Registers) -> pl.DataFrame:
    """Every period that starts a participant's coverage (none in the 60 days before), placed: once per version."""
    def build() -> pl.DataFrame:
        fresh = pd.new_enrolments(regs.periods, start=dt.date.min, end=dt.date.max)
        return _place(regs.periods.join(fresh.select("card_id"), on="card_id")).select(
            "card_id", "valid_from", "commune_id")
    return regs.remember("new-enrolments", lambda: columnar.derived("lapses-new-enrolments", build)
                         if regs.known_on is None else build())


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def enrolment_pace(regs: Registers, *, as_of: dt.date, commune_ids: list[int] | None) -> dict:
    """New enrolments per day over the last PACE_MONTHS calendar months, and the slowest and fastest of the
    last six months. Whole months, not days: most cards start on the 1st, and a 90-day window ending on
    31 October holds two first days (1 September, 1 October), not three, so it missed a month's enrolments."""
    bounds = [months_back(as_of, k) for k in range(7)]  # as_of, a month before, ... six months before
    # Counted per commune and start date once per date: each of a province's areas then sums a few rows.
    placed = regs.remember(("enrolments-by-commune", as_of), lambda: _new_enrolments(regs).filter(
        (pl.col("valid_from") > bounds[6]) & (pl.col("valid_from") <= as_of)).group_by("commune_id", "valid_from").len())
    if commune_ids is not None:
        placed = placed.filter(pl.col("commune_id").is_in(commune_ids))
    starts, counts = placed["valid_from"], placed["len"]
    monthly = [int(counts.filter((starts > bounds[k + 1]) & (starts <= bounds[k])).sum()) / (bounds[k] - bounds[k + 1]).days
               for k in range(6)]
    recent = int(counts.filter(starts > bounds[PACE_MONTHS]).sum()) / (as_of - bounds[PACE_MONTHS]).days
    return {"per_day": recent, "low": min(monthly), "high": max(monthly), "last_180_days": int(counts.sum())}


def area_cards(regs: Registers, day: dt.date, commune_ids: list[int] | None, village_id: int | None) -> int:
    """Cards valid on a day in the area, placed as coverage places them."""
    placed = regs.remember(("placed", day), lambda: regs.periods.filter(pd.valid_on(day)).select(**_placement()))
    if village_id is None and commune_ids is not None:  # a commune or more: from the counts per commune
        return _sum_for(regs.remember(("placed-by-commune", day), lambda: placed.group_by("commune_id").len()),
                        commune_ids)
    return placed_count(placed, commune_ids, village_id)


def _sum_for(counts: pl.DataFrame, commune_ids: list[int]) -> int:
    """The communes' total of a count per commune (columns commune_id, len)."""
    return int(counts.filter(pl.col("commune_id").is_in(commune_ids))["len"].sum())


def _residents(regs: Registers, as_of: dt.date, commune_ids: list[int] | None) -> int:
    def build() -> pl.DataFrame:
        people = regs.persons.filter(
            (pl.col("status").is_in(["resident", ""]) & (pl.col("status_date").is_null() | (pl.col("status_date") <= as_of)))
            | (pl.col("status").is_in(["moved_out", "deceased"]) & (pl.col("status_date") > as_of)))
        return people.filter(pl.coalesce(pl.col("dob"), pl.date(pl.col("dob_year"), 1, 1)) <= as_of).select("commune_id")

    people = regs.remember(("residents", as_of), build)
    if commune_ids is None:
        return people.height
    return _sum_for(regs.remember(("residents-by-commune", as_of), lambda: people.group_by("commune_id").len()),
                    commune_ids)


def _plan(regs: Registers, area: Area, year: int) -> dict | None:
    from everydoor.coverage.services import plans_frame

    plans = regs.remember(("plans", year), lambda: plans_frame(year=year))
    plans = plans.filter((pl.col("level") == area_level(area)) & (pl.col("area_code") == area.code))
    if plans.is_empty():
        return None
    row = plans.row(0, named=True)
    return {"metric": row["metric"], "value": row["plan_value"]}


def forecast(*, area: Area, as_of: dt.date, at: dt.date, regs: Registers, rows: pl.DataFrame | None = None,
             rates: pl.DataFrame | None = None, today: dt.date | None = None) -> dict:
    """The band of valid cards on `at`, its parts, the coverage rates and the plan's gap per week."""
    commune_ids, village_id = area_communes(area)
    province = province_of(area)
    if rows is None:
        rows = lapse_rows(regs, as_of=as_of, until=at, commune_ids=commune_ids, village_id=village_id,
                          province=province)
    rates = rates if rates is not None else renewal_rates(regs, as_of=as_of, province=province)
    certain = area_cards(regs, at, commune_ids, village_id)
    due = _rates_for(rows.filter(pl.col("card_lapses")), rates).with_columns(counted=counted_once())
    renewals = {k: float(due.filter(pl.col("counted"))[k].sum()) for k in ("low", "rate", "high")}
    pace = enrolment_pace(regs, as_of=as_of, commune_ids=commune_ids)
    days = (at - as_of).days
    band = {
        "low": round(certain + renewals["low"] + pace["low"] * days),
        "expected": round(certain + renewals["rate"] + pace["per_day"] * days),
        "high": round(certain + renewals["high"] + pace["high"] * days),
    }
    band["low"], band["high"] = min(band.values()), max(band.values())
    residents = _residents(regs, as_of, commune_ids)
    plan = _plan(regs, area, at.year)
    start = today if today is not None and as_of <= today < at else as_of  # weeks left from today, if within
    weeks = max((at - start).days, 1) / 7
    target = None
    if plan is not None:
        target = plan["value"] if plan["metric"] == "participants" else math.ceil(plan["value"] / 100 * residents)
    by_class = due.group_by("card_class").agg(
        due=pl.len(), rate=pl.col("rate").first(), learned=pl.col("learned").first(),
        expected_renewals=pl.col("rate").filter(pl.col("counted")).sum().round(0)).sort(["due", "card_class"], descending=[True, False])
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
