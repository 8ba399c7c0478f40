"""The lapse list: every card valid on a date that ends before another with no later period known, and every
resident whose state support ends before it; with the reason, the date, what the household would pay from
then on (the dated rules, with their source), the risk of not renewing and the expected loss. Set-based.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from everydoor.campaign.models import AgencyUnit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage import columnar
from everydoor.coverage.selectors import Area
from everydoor.geo.models import AdminUnit
from everydoor.lapses import periods as pd
from everydoor.lapses import selectors, support
from everydoor.rules import law

RULE_GROUPS = ("TE", "HN", "DT", "DK", "CN", "GD", "HS", "GB")  # the groups rules/entitlement.py can assign
RECOMPUTED_PAYERS = ("state_budget", "household", "budget_supported")  # whose next card the rules decide


@dataclass
class Registers:
    """The registers as one lapse computation sees them (read once; reused by the forecast and the model)."""

    periods: pl.DataFrame  # every card period, with next_from (the next known period of its holder)
    persons: pl.DataFrame
    households: pl.DataFrame | None  # read when first needed (households_of): a forecast never needs them
    certificates: pl.DataFrame
    statuses: pl.DataFrame
    units: pl.DataFrame
    known_on: dt.date | None
    # Frames derived from the above for this run, by key (forecast.py: the cards placed on a date...): the
    # forecasts of many areas (digest.py) each filter them instead of computing them again.
    memo: dict = field(default_factory=dict, repr=False)

    def remember(self, key, build):
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]


def registers_read(*, known_on: dt.date | None = None, with_households: bool = False) -> Registers:
    """with_households: read every household too (meanwhile, as the other small tables): lists need them.

    Each period comes with what the lapse computations take from its history (pd.history) and from its
    holder (holders()): for the registers as they are, both are computed once per version of them and kept
    beside the columnar copy, so a list or a forecast joins no register with another."""
    data = selectors.registers(with_households=with_households)
    periods, persons = data["periods"], data["persons"]

    def known_of(cards: pl.DataFrame) -> pl.DataFrame:
        return pd.history(cards).hstack(holders(cards, persons).drop("card_id"))

    if known_on is None:
        periods = pd.attached(periods, columnar.derived("lapses-known", lambda: known_of(periods), background=True))
    else:
        periods = pd.known(periods, known_on)
        periods = pd.attached(periods, known_of(periods))
    return Registers(periods=periods, persons=persons, households=data.get("households"),
                     certificates=data["certificates"], statuses=data["statuses"], units=data["units"],
                     known_on=known_on)


def holders(cards: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """card_id and what _place takes from each card's holder (the linked resident), in the cards' order."""
    holder = persons.select("person_id", "household_id", h_commune="commune_id", h_village="village_id",
                            h_dob_year="dob_year", h_dob_month="dob_month", h_dob_day="dob_day",
                            h_resident=pl.col("status").is_in(["resident", ""]), minority=support.minority())
    return cards.select("card_id", "person_id").join(holder, on="person_id", how="left", maintain_order="left").drop(
        "person_id")


def households_of(regs: Registers) -> pl.DataFrame:
    """Every household (code, phone, village), read once per Registers."""
    if regs.households is None:
        regs.households = selectors.households()
    return regs.households


def area_communes(area: Area) -> tuple[list[int], int | None]:
    """The commune ids of an area, and the village id when the area is a village."""
    if isinstance(area, AgencyUnit):
        return list(area.communes.values_list("id", flat=True)), None
    if area.level == AdminUnit.Level.PROVINCE:
        ids = AdminUnit.objects.filter(level="commune", province_code=area.province_code).values_list("id", flat=True)
        return list(ids), None
    if area.level == AdminUnit.Level.COMMUNE:
        return [area.id], None
    return [area.parent_id], area.id


def province_of(area: Area) -> str | None:
    """The province code of an area (an administrative unit or an agency unit)."""
    return getattr(area, "province_code", None) or getattr(getattr(area, "province", None), "code", None)


def _place(cards: pl.DataFrame) -> pl.DataFrame:
    """Each card (of regs.periods: with its holder's attributes, holders()) placed as coverage places it: the
    card's commune, else the holder's; the holder's village when the card is in the holder's commune."""
    return cards.with_columns(
        **_placement(),
        dob_year=pl.coalesce("h_dob_year", "dob_year"), dob_month=pl.coalesce("h_dob_month", "dob_month"),
        dob_day=pl.coalesce("h_dob_day", "dob_day"),
        resident=pl.col("person_id").is_not_null() & pl.col("h_resident").fill_null(False),
        minority=pl.col("minority").fill_null(False),
    ).drop("h_commune", "h_village", "h_dob_year", "h_dob_month", "h_dob_day", "h_resident")


def _placement() -> dict[str, pl.Expr]:
    """commune_id and village_id as coverage places a card, over the card's own commune_id and its holder's
    h_commune and h_village (evaluated together, on the card's commune as received)."""
    return {"commune_id": pl.coalesce("commune_id", "h_commune"),
            "village_id": pl.when(pl.col("commune_id").is_null() | (pl.col("commune_id") == pl.col("h_commune")))
            .then(pl.col("h_village"))}


def placed_count(placed: pl.DataFrame, commune_ids: list[int] | None, village_id: int | None) -> int:
    """How many of the cards coverage places in the area (`placed`: their commune_id and village_id, as
    _placement gives them)."""
    if commune_ids is not None:
        placed = placed.filter(pl.col("commune_id").is_in(commune_ids))
    if village_id is not None:
        placed = placed.filter(pl.col("village_id") == village_id)
    return placed.height


def lapse_rows(regs: Registers, *, as_of: dt.date, until: dt.date, commune_ids: list[int] | None = None,
               village_id: int | None = None, province: str | None = None,
               share_changes: dict | None = None) -> pl.DataFrame:
    """One row per card that lapses before `until`, or whose holder's state support ends before it.

    share_changes: group -> [(from, share)], a scenario's support shares used instead of the rules' (scenario.py)."""
    if until <= as_of:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--until ({until}) must come after --as-of ({as_of})")
    valid = _place(regs.periods.filter(pd.valid_on(as_of)))
    if commune_ids is not None:
        valid = valid.filter(pl.col("commune_id").is_in(commune_ids))
    if village_id is not None:
        valid = valid.filter(pl.col("village_id") == village_id)
    months = next((int(f.value) for f in law.law().figures["declassified_support_months"] if f.applies_on(as_of)), 36)
    endings = support.support_endings(valid.filter(pl.col("resident")), regs.certificates, regs.statuses,
                                      as_of, until, months)
    card_due = (pl.col("valid_to") < until) & pl.col("next_from").is_null()
    # A support that ends matters unless the holder's next card is already known (renewed).
    rows = valid.filter(pl.col("next_from").is_null() & ((pl.col("valid_to") < until)
                                                         | pl.col("card_id").is_in(endings["card_id"].implode())))
    rows = rows.join(endings, on="card_id", how="left").with_columns(card_lapses=card_due)
    by_support = pl.col("support_reason").is_not_null() & (~pl.col("card_lapses") | (pl.col("support_ends") <= pl.col("valid_to")))
    rows = rows.with_columns(
        reason=pl.when(by_support).then(pl.col("support_reason")).otherwise(pl.lit("card_ends")),
        date=pl.when(by_support).then(pl.col("support_ends")).otherwise(pl.col("valid_to")),
    ).with_columns(after=pl.col("date") + pl.duration(days=1)).drop("support_reason", "support_ends")
    return _with_premiums(rows, regs, province, share_changes)


def _with_premiums(rows: pl.DataFrame, regs: Registers, province: str | None,
                   share_changes: dict | None = None) -> pl.DataFrame:
    ruled = rows.filter(pl.col("resident") & pl.col("group_code").is_in(RULE_GROUPS)
                        & pl.col("payer_group").is_in(RECOMPUTED_PAYERS))
    entitled = support.entitlements_after(ruled.select("card_id", "after", "household_id", "commune_id", "dob_year",
                                                       "dob_month", "dob_day", "minority"),
                                          regs.certificates, regs.statuses, province)
    rows = rows.join(entitled.select("card_id", "entitled", "group_after", "categories_after", "share_after",
                                     "entitlement_source"), on="card_id", how="left")
    rows = rows.with_columns(
        premium_group=pl.coalesce("group_after", "group_code"),
        premium_categories=pl.col("categories_after").fill_null(""),
    )
    paying = _already_paying(regs, rows)
    rows = support.premiums_after(rows, paying, province, share_changes)
    return rows.with_columns(
        premium_source=pl.concat_str([pl.col("entitlement_source").fill_null(""), pl.col("premium_source")],
                                     separator="; ").str.strip_chars("; "),
    ).drop("entitlement_source")


def _already_paying(regs: Registers, rows: pl.DataFrame) -> pl.DataFrame:
    """household_id, after, paying: household-group cards of the household's other members valid on `after`
    (a period's household is its holder's: holders())."""
    wanted = rows.filter(pl.col("household_id").is_not_null()).select("household_id", "after").unique()
    if wanted.is_empty():
        return wanted.with_columns(paying=pl.lit(0, dtype=pl.Int64))
    household_groups = [g for g, payer in law.law().group_payer.items() if payer == "household"]
    first, last = wanted["after"].min(), wanted["after"].max()
    cards = regs.periods.filter(
        pl.col("group_code").is_in(household_groups) & (pl.col("valid_from") <= last) & (pl.col("valid_to") >= first)
        & pl.col("household_id").is_in(wanted["household_id"].unique().implode())
        & ~pl.col("card_id").is_in(rows["card_id"].implode())).select("person_id", "household_id", "valid_from",
                                                                      "valid_to")
    covering = cards.join(wanted, on="household_id").filter(
        (pl.col("valid_from") <= pl.col("after")) & (pl.col("valid_to") >= pl.col("after")))
    return covering.group_by("household_id", "after").agg(paying=pl.col("person_id").n_unique().cast(pl.Int64))


def with_risk(rows: pl.DataFrame, regs: Registers, model) -> pl.DataFrame:
    """Lapse rows with their risk of not renewing (null without a model) and expected loss: the risk times the
    people of the household who lapse with it (a household decides together)."""
    from everydoor.lapses import risk

    if model is not None:
        rows = rows.with_columns(risk=pl.Series(risk.score(model, risk.features(regs, rows)), dtype=pl.Float64))
    else:
        rows = rows.with_columns(risk=pl.lit(None, dtype=pl.Float64))
    people = pl.col("card_id").count().over("household_id")
    return rows.with_columns(expected_loss=pl.col("risk") * pl.when(pl.col("household_id").is_null()).then(1)
                             .otherwise(people))


LIST_COLUMNS = ("card_id", "si_code", "person_id", "household_id", "household_code", "commune_id", "village_id",
                "payer_group", "group_code", "valid_to", "reason", "date", "card_lapses", "entitled", "group_after",
                "share_after", "premium", "household_premium", "premium_source", "risk", "expected_loss")


def lapse_list(*, area: Area, as_of: dt.date, until: dt.date, regs: Registers | None = None,
               scored: bool = True) -> dict:
    """The lapse list of an area: its rows (ordered by expected loss when a risk model is trained, else by
    date) and its summary per reason, commune, village and payer group."""
    from everydoor.lapses import report, risk

    model = risk.latest() if scored else None
    regs = regs or registers_read(with_households=True)
    if model is not None:  # after the reads: unpickling holds the GIL, which the reads' threads need
        risk.prepare(model)
    commune_ids, village_id = area_communes(area)
    province = province_of(area)
    rows = lapse_rows(regs, as_of=as_of, until=until, commune_ids=commune_ids, village_id=village_id,
                      province=province)
    rows = with_risk(rows, regs, model)
    rows = rows.join(households_of(regs).select("household_id", "household_code"), on="household_id",
                     how="left").select(LIST_COLUMNS)
    order = ["expected_loss", "date"] if model is not None else ["date", "household_id"]
    rows = rows.sort(order, descending=[model is not None, False], nulls_last=True)
    return {"area": getattr(area, "name", str(area)), "as_of": as_of, "until": until,
            "model_version": model.version if model is not None else None,
            "rows": rows, "summary": report.summarize(rows, regs.units)}
