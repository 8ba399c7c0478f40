"""When a resident's state support ends, and what their household would pay from then on (set-based).

The dates come from the registers (a child's 6th birthday, a certificate's end, a commune's last day on
the especially-difficult list, the end of the 36 months after it left); what the resident may hold next
and what it costs come from the dated rules (rules/entitlement.py, rules/premium.py), called once per
distinct situation (day, age class, minority, certificates in force, commune), never once per resident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import polars as pl

from everydoor.rules import law
from everydoor.rules.entitlement import DIFFICULT_STATUSES, MAJORITY_ETHNICITY, Period, entitlement
from everydoor.rules.money import whole_vnd
from everydoor.rules.premium import HOUSEHOLD_GROUP, Member, household_premium

CERTIFICATE_GROUP = {"poor": "HN", "near_poor": "CN", "average_living_standard": "GB"}
LIST_GROUPS = ("DT", "DK")  # the cards the especially-difficult list pays
DECLASSIFIED_GROUPS = ("GD",)  # a minority resident of a commune that left: 70% of a household card
REPRESENTATIVE_AGE = {"under_6": 3, "pupil": 10, "adult": 30}  # the rules look at age only through these classes
CHAIN_STEPS = 3  # a certificate or listing renewed back to back: followed this many times

REASONS = {
    "card_ends": "the card ends and no later period is known",
    "turns_6": "turns 6: the under-6 card ends",
    "certificate_ends": "the household's certificate ends",
    "commune_leaves_list": "the commune leaves the especially-difficult list",
    "declassified_support_ends": "the 36 months of support after the commune left the list end",
}


def age_on(day: pl.Expr) -> pl.Expr:
    """Completed years on `day` (an unknown month/day counts as 1 July, as core.dates.age_on)."""
    month, dom = pl.col("dob_month").fill_null(7), pl.col("dob_day").fill_null(1)
    before = (day.dt.month() < month) | ((day.dt.month() == month) & (day.dt.day() < dom))
    return day.dt.year() - pl.col("dob_year") - before.cast(pl.Int32)


def sixth_birthday_eve() -> pl.Expr:
    """rules.entitlement.sixth_birthday_eve, vectorised (29 February -> the 28th)."""
    first = pl.date(pl.col("dob_year") + 6, pl.col("dob_month").fill_null(7), 1)
    return first + pl.duration(days=pl.col("dob_day").fill_null(1) - 1) - pl.duration(days=1)


def run_end(periods: pl.DataFrame, keys: list[str], day: dt.date) -> pl.DataFrame:
    """Per key: the last day of the run of periods covering `day` (periods starting by the day after the
    previous end continue it); null end = open. Only keys covered on `day` appear."""
    spans = periods.select(*keys, "start", "end")
    run = spans.filter((pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") >= day)))
    run = run.group_by(keys).agg(end=pl.when(pl.col("end").is_null().any()).then(None).otherwise(pl.col("end").max()))
    for _ in range(CHAIN_STEPS):
        following = run.filter(pl.col("end").is_not_null()).join(spans, on=keys, suffix="_next").filter(
            (pl.col("start") <= pl.col("end") + pl.duration(days=1))
            & (pl.col("end_next").is_null() | (pl.col("end_next") > pl.col("end"))))
        if following.is_empty():
            break
        longer = following.group_by(keys).agg(
            longer=pl.when(pl.col("end_next").is_null().any()).then(None).otherwise(pl.col("end_next").max()),
            _hit=pl.lit(True))
        run = run.join(longer, on=keys, how="left").with_columns(
            end=pl.when(pl.col("_hit").fill_null(False)).then(pl.col("longer")).otherwise(pl.col("end"))
        ).drop("longer", "_hit")
    return run.rename({"end": "run_end"})


def support_endings(cards: pl.DataFrame, certificates: pl.DataFrame, statuses: pl.DataFrame,
                    as_of: dt.date, until: dt.date, months_after_list: int) -> pl.DataFrame:
    """card_id, support_reason, support_ends for the cards (of residents) whose state support ends in [as_of, until)."""
    window = (pl.col("support_ends") >= as_of) & (pl.col("support_ends") < until)
    turning = cards.filter(pl.col("group_code") == "TE").select(
        "card_id", support_reason=pl.lit("turns_6"), support_ends=sixth_birthday_eve())
    certs = run_end(certificates.rename({"valid_from": "start", "valid_to": "end"}), ["household_id", "kind"], as_of)
    certified = cards.filter(pl.col("group_code").is_in(CERTIFICATE_GROUP.values())).with_columns(
        kind=pl.col("group_code").replace_strict({g: k for k, g in CERTIFICATE_GROUP.items()}, default=None)).join(
        certs, on=["household_id", "kind"]).select(
        "card_id", support_reason=pl.lit("certificate_ends"), support_ends=pl.col("run_end"))
    difficult = statuses.filter(pl.col("status").is_in(DIFFICULT_STATUSES)).rename(
        {"effective_from": "start", "effective_to": "end"}).with_columns(status=pl.lit("difficult"))
    listed = run_end(difficult, ["commune_id", "status"], as_of)
    leaving = cards.filter(pl.col("group_code").is_in(LIST_GROUPS)).join(listed, on="commune_id").select(
        "card_id", support_reason=pl.lit("commune_leaves_list"), support_ends=pl.col("run_end"))
    # Left before as_of: 36 months of 70% for minority residents, then nothing (law.declassified_support_months).
    left = difficult.filter(pl.col("end") < as_of).group_by("commune_id").agg(left_on=pl.col("end").max())
    after = cards.filter(pl.col("group_code").is_in(DECLASSIFIED_GROUPS) & pl.col("minority")).join(
        left, on="commune_id").select(
        "card_id", support_reason=pl.lit("declassified_support_ends"),
        support_ends=pl.col("left_on").dt.offset_by(f"{months_after_list}mo"))
    found = pl.concat([turning, certified, leaving, after]).filter(window)
    return found.sort("support_ends").unique("card_id", keep="first")


def minority() -> pl.Expr:
    folded = pl.col("ethnicity").str.strip_chars().str.to_lowercase()
    return (folded != "") & (folded != MAJORITY_ETHNICITY)


def certificates_on(certificates: pl.DataFrame, day_column: str, rows: pl.DataFrame) -> pl.DataFrame:
    """row_id -> the certificate kinds in force for the row's household on its day, as one sorted text."""
    joined = rows.select("row_id", "household_id", day_column).join(certificates, on="household_id").filter(
        (pl.col("valid_from") <= pl.col(day_column))
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col(day_column))))
    return joined.group_by("row_id").agg(kinds=pl.col("kind").unique().sort().str.join(","))


def entitlements_after(rows: pl.DataFrame, certificates: pl.DataFrame, statuses: pl.DataFrame,
                       province: str | None, overrides: Mapping | None = None) -> pl.DataFrame:
    """What each row's resident may hold on `after` (the day the support or card ends + 1): group, categories,
    support share, state_paid, source; one rules call per distinct situation."""
    rows = rows.with_columns(row_id=pl.int_range(pl.len()))
    kinds = certificates_on(certificates, "after", rows)
    age = age_on(pl.col("after"))
    situations = rows.join(kinds, on="row_id", how="left").with_columns(
        kinds=pl.col("kinds").fill_null(""),
        age_class=pl.when(pl.col("dob_year").is_null()).then(pl.lit("adult"))
        .when(age < 6).then(pl.lit("under_6")).when(age < 18).then(pl.lit("pupil")).otherwise(pl.lit("adult")),
        commune_key=pl.col("commune_id").fill_null(-1),
    )
    by_commune: dict[int, list[Period]] = {}
    for commune_id, status, start, end, _source in statuses.iter_rows():  # one row per commune and status
        by_commune.setdefault(commune_id, []).append(Period(status, start, end))
    distinct = situations.select("after", "age_class", "minority", "kinds", "commune_key").unique()
    found = []
    for after, age_class, is_minority, kind_text, commune_key in distinct.iter_rows():
        years = REPRESENTATIVE_AGE[age_class]
        got = entitlement(
            on=after, dob_year=after.year - years, dob_month=after.month, dob_day=min(after.day, 28),
            ethnicity="Mông" if is_minority else MAJORITY_ETHNICITY,
            certificates=[Period(k, after, None) for k in kind_text.split(",") if k],
            commune_statuses=by_commune.get(commune_key, ()), province=province)
        found.append((after, age_class, is_minority, kind_text, commune_key, got.key, got.group,
                      "+".join(got.categories), float(got.support_share), got.source))
    table = pl.DataFrame(found, orient="row", schema={
        "after": pl.Date, "age_class": pl.Utf8, "minority": pl.Boolean, "kinds": pl.Utf8, "commune_key": pl.Int64,
        "entitled": pl.Utf8, "group_after": pl.Utf8, "categories_after": pl.Utf8, "share_after": pl.Float64,
        "entitlement_source": pl.Utf8})
    return situations.join(table, on=["after", "age_class", "minority", "kinds", "commune_key"], how="left").drop(
        "row_id", "kinds", "age_class", "commune_key")


def _share_instead(share_changes: dict | None, group: str, on: dt.date) -> float | None:
    """A scenario's support share for the group on a date (the latest change in force), else None."""
    found = [(start, share) for start, share in (share_changes or {}).get(group, ()) if start <= on]
    return max(found)[1] if found else None


def premiums_after(rows: pl.DataFrame, already_paying: pl.DataFrame, province: str | None,
                   share_changes: dict | None = None) -> pl.DataFrame:
    """Each row's yearly premium from `after` on (12 months paid that day, whole VND) and its household's total.

    `premium_group`: the group the resident would renew as. Household members continue the household's
    sequence after those already paying (`already_paying`: household_id, after, paying), in card order.
    """
    rows = rows.join(already_paying, on=["household_id", "after"], how="left").with_columns(
        paying=pl.col("paying").fill_null(0))
    in_sequence = (pl.col("premium_group").replace_strict(law.law().group_payer, default="") == HOUSEHOLD_GROUP) \
        & pl.col("household_id").is_not_null()
    # The place among the household's members renewing that day: a rank, not a sort of every row.
    sequence = rows.filter(in_sequence).select(
        "card_id", _rank=pl.col("card_id").rank("ordinal").over(["household_id", "after"]).cast(pl.Int64))
    rows = rows.join(sequence, on="card_id", how="left").with_columns(
        position=(pl.col("paying") + pl.col("_rank") - 1).fill_null(0)).drop("_rank")
    distinct = rows.select("after", "premium_group", "premium_categories", "position").unique()
    found = []
    for after, group, categories, position in distinct.iter_rows():
        member = Member(group, tuple(c for c in (categories or "").split("+") if c))
        bill = household_premium(after, [member], months=12, province=province, already_paying=int(position))
        net, sources = bill.members[0].net, "; ".join(bill.sources)
        instead = _share_instead(share_changes, group, after)
        if instead is not None:  # a scenario: the same gross, another support share (rules untouched)
            gross = bill.members[0].monthly_gross
            net = (gross - whole_vnd(gross * Decimal(str(instead)))) * bill.months
            sources += f"; scenario: support {instead:.0%} for {group} from this date"
        found.append((after, group, categories, position, net, sources))
    table = pl.DataFrame(found, orient="row", schema={
        "after": pl.Date, "premium_group": pl.Utf8, "premium_categories": pl.Utf8, "position": pl.Int64,
        "premium": pl.Int64, "premium_source": pl.Utf8})
    rows = rows.join(table, on=["after", "premium_group", "premium_categories", "position"], how="left", nulls_equal=True)
    return rows.with_columns(
        household_premium=pl.when(pl.col("household_id").is_not_null())
        .then(pl.col("premium").sum().over(["household_id", "after"])).otherwise(pl.col("premium"))
    ).drop("paying", "position")
