"""The demo's door-to-door month: visits from 1 October to 2 November 2025 by the demo officers.

Households come from the officers' villages and what the registers say (set-based, from the columnar
copy): those with a member whose card starts in October are visited a few days before it ("enrolled",
later confirmed by the card); members the register shows moving out or dying in the month are reported
by a visit after it ("moved away", "deceased": field reviews for the unit manager); a sample of the other
uninsured households gets promises, refusals (mostly for cost), doors nobody opened and follow-ups
around the demo day (2025-11-03). A few hundred visits go through the real service, some posted twice
(a phone's retries); the rest are written in bulk, with the same content hash the service would give.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import numpy as np
import polars as pl
from django.db import transaction

START, END = dt.date(2025, 10, 1), dt.date(2025, 11, 2)
LAST_REGISTER_DAY = dt.date(2025, 10, 31)
TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
OTHER_SHARE = 0.12  # of the uninsured households not otherwise visited
ENROL_SHARE = 0.7  # of the households with a card starting in October
GONE_SHARE = 0.6  # of the moves out and deaths of the month
THROUGH_SERVICE = 300  # visits posted through campaign.visits.visit_record
RETRY_SHARE = 0.3  # of those, posted a second time
OUTCOMES = ("promised", "refused", "not_at_home", "insured_elsewhere", "wrong_data")
OUTCOME_SHARES = (0.32, 0.25, 0.33, 0.05, 0.05)
REASONS = ("cost", "no_benefit", "distrust", "other")
REASON_SHARES = (0.62, 0.18, 0.12, 0.08)


def _assignments() -> pl.DataFrame:
    from django.db.models import Q

    from everydoor.campaign.models import OfficerAssignment

    rows = (OfficerAssignment.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=END), valid_from__lte=END)
            .order_by("village_id", "officer_id").values_list("village_id", "officer_id", "valid_from"))
    frame = pl.DataFrame(list(rows), schema={"village_id": pl.Int64, "officer_id": pl.Int64, "since": pl.Date},
                         orient="row")
    return frame.unique("village_id", keep="first")


def _residents_on(persons: pl.DataFrame, day: dt.date) -> pl.Expr:
    born = pl.when(pl.col("dob").is_not_null()).then(pl.col("dob") <= day).otherwise(pl.col("dob_year") <= day.year)
    here = (((pl.col("status") == "resident") & (pl.col("status_date").is_null() | (pl.col("status_date") <= day)))
            | (pl.col("status").is_in(["moved_out", "deceased"]) & (pl.col("status_date") > day)))
    return born & here


def _plan(rng: np.random.Generator) -> pl.DataFrame:
    """One row per visit: household_id, officer_id, day, outcome, reason, follow_up, members (person ids)."""
    from everydoor.coverage import columnar

    assigned = _assignments()
    if assigned.is_empty():
        return pl.DataFrame()
    data = columnar.load_frames(dates=[START, LAST_REGISTER_DAY])
    persons = (data["persons"].join(assigned, on="village_id")
               .filter(pl.col("household_id").is_not_null()))
    cards = data["cards"].filter(pl.col("person_id").is_not_null())
    insured = cards.filter((pl.col("valid_from") <= START) & (pl.col("valid_to") >= START))["person_id"].unique()
    residents = persons.filter(_residents_on(persons, START))
    uninsured = residents.filter(~pl.col("person_id").is_in(insured.implode()))
    plans = []

    # Enrolled: the member's card starts in October; the officer came up to a week before.
    starting = (cards.filter(pl.col("valid_from").is_between(START, LAST_REGISTER_DAY))
                .group_by("person_id").agg(pl.col("valid_from").min()))
    enrol = uninsured.join(starting, on="person_id").group_by("household_id", "officer_id", "since").agg(
        pl.col("person_id").alias("members"), pl.col("valid_from").min().alias("card_day"))
    enrol = enrol.filter(pl.Series(rng.random(enrol.height) < ENROL_SHARE))
    enrol = enrol.with_columns(day=pl.max_horizontal(
        pl.col("card_day") - pl.duration(days=pl.Series(rng.integers(0, 8, enrol.height))), pl.lit(START),
        pl.col("since")), outcome=pl.lit("enrolled"))
    plans.append(enrol.drop("card_day"))

    # Moved away / deceased: what the register says happened this month, reported a few days after.
    gone = (persons.filter(pl.col("status").is_in(["moved_out", "deceased"])
                           & pl.col("status_date").is_between(START, END - dt.timedelta(days=1))))
    gone = gone.filter(pl.Series(rng.random(gone.height) < GONE_SHARE))
    gone = gone.with_columns(
        day=pl.max_horizontal(pl.col("status_date") + pl.duration(days=pl.Series(rng.integers(1, 10, gone.height))),
                              pl.col("since")),
        outcome=pl.when(pl.col("status") == "deceased").then(pl.lit("deceased")).otherwise(pl.lit("moved_away")),
        members=pl.concat_list("person_id"))
    plans.append(gone.select("household_id", "officer_id", "since", "members", "day", "outcome"))

    # The others: a sample of the uninsured households left.
    taken = pl.concat([enrol["household_id"], gone["household_id"]])
    others = (uninsured.filter(~pl.col("household_id").is_in(taken.implode()))
              .group_by("household_id", "officer_id", "since").agg(pl.col("person_id").alias("members")))
    others = others.filter(pl.Series(rng.random(others.height) < OTHER_SHARE))
    span = (END - START).days + 1
    others = others.with_columns(
        day=pl.max_horizontal(pl.lit(START) + pl.duration(days=pl.Series(rng.integers(0, span, others.height))),
                              pl.col("since")),
        outcome=pl.Series(rng.choice(OUTCOMES, others.height, p=OUTCOME_SHARES)))
    plans.append(others)
    visits = pl.concat([p.select("household_id", "officer_id", "members", "day", "outcome") for p in plans])
    visits = visits.filter(pl.col("day") <= END)
    n = visits.height
    gap = pl.duration(days=pl.Series(rng.integers(2, 22, n)))
    keeps_door_open = pl.Series(rng.random(n) < 0.4)
    return visits.with_columns(
        reason=pl.when(pl.col("outcome") == "refused").then(pl.Series(rng.choice(REASONS, n, p=REASON_SHARES)))
        .otherwise(pl.lit("")),
        follow_up=pl.when(pl.col("outcome").is_in(["promised", "not_at_home"])
                          | ((pl.col("outcome") == "refused") & keeps_door_open)).then(pl.col("day") + gap),
        # members only where the outcome is about them
        members=pl.when(pl.col("outcome").is_in(["not_at_home", "wrong_data"])).then(pl.lit([], pl.List(pl.Int64)))
        .when(pl.col("outcome") == "insured_elsewhere").then(pl.col("members").list.head(1))
        .otherwise(pl.col("members")),
        minute=pl.Series(rng.integers(8 * 60, 17 * 60, n)),
        uuid=pl.Series([str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)]),
    ).sort("day", "minute")


def _input(row: dict):
    from everydoor.campaign.visits import VisitInput

    moment = dt.datetime.combine(row["day"], dt.time(row["minute"] // 60, row["minute"] % 60), tzinfo=TZ)
    return VisitInput(uuid=row["uuid"], household=row["code"], visited_at=moment, outcome=row["outcome"],
                      reason=row["reason"], members=row["members"], follow_up=row["follow_up"])


def demo_visits(*, seed: int = 2025, step=print) -> dict:
    """Simulate the month; returns counts (visits, through the service, retries, outcomes, confirmed)."""
    from django.contrib.auth import get_user_model

    from everydoor.campaign.confirmations import visits_confirm
    from everydoor.campaign.models import FieldReview, Visit, VisitMember
    from everydoor.campaign.visits import CORRECTIONS, _clean, content_hash, visit_record
    from everydoor.core.errors import EverydoorError
    from everydoor.registry.models import Household

    rng = np.random.default_rng(seed + 15)
    plan = _plan(rng)
    if plan.is_empty():
        step("no officer is assigned to a village: no visits simulated")
        return {"visits": 0}
    codes = dict(Household.objects.filter(id__in=plan["household_id"].unique().to_list()).values_list("id", "code"))
    plan = plan.with_columns(code=pl.col("household_id").replace_strict(codes, return_dtype=pl.Utf8))
    officers = {u.pk: u for u in get_user_model().objects.filter(pk__in=plan["officer_id"].unique().to_list())}
    rows = plan.to_dicts()
    served = set(rng.choice(len(rows), min(THROUGH_SERVICE, len(rows)), replace=False).tolist())
    counts = {"through_service": 0, "retried": 0, "refused_by_service": 0}
    with transaction.atomic():
        bulk, members, reviews = [], [], []
        for i, row in enumerate(rows):
            data, officer = _input(row), officers[row["officer_id"]]
            if i in served:
                try:
                    visit_record(data=data, officer=officer, source="demo")
                    counts["through_service"] += 1
                    if rng.random() < RETRY_SHARE:  # the phone did not hear the answer and posts again
                        _, created = visit_record(data=data, officer=officer, source="demo")
                        counts["retried"] += 1
                        assert not created
                except EverydoorError:
                    counts["refused_by_service"] += 1
                continue
            clean = _clean(data)
            bulk.append(Visit(uuid=clean["uuid"], household_id=row["household_id"], officer_id=row["officer_id"],
                              visited_at=clean["visited_at"], outcome=clean["outcome"], reason=clean["reason"],
                              follow_up=clean["follow_up"], content_hash=content_hash(clean, officer.pk),
                              source="demo"))
        Visit.objects.bulk_create(bulk, batch_size=2000)
        by_uuid = {str(v.uuid): v.pk for v in bulk}
        for row in rows:
            visit_id = by_uuid.get(row["uuid"])
            if visit_id is None:
                continue
            members += [VisitMember(visit_id=visit_id, person_id=p) for p in row["members"]]
            if row["outcome"] in CORRECTIONS:
                reviews += [FieldReview(visit_id=visit_id, person_id=p, kind=row["outcome"]) for p in row["members"]]
        VisitMember.objects.bulk_create(members, batch_size=5000)
        FieldReview.objects.bulk_create(reviews, batch_size=5000)
    confirmed = visits_confirm()
    outcomes = dict(plan.group_by("outcome").len().iter_rows())
    return {"visits": Visit.objects.filter(source="demo").count(), **counts, "outcomes": outcomes,
            "field_reviews": FieldReview.objects.count(), "confirmed": confirmed["confirmed"]}
