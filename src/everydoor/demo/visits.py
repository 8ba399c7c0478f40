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
import time
import uuid
import zoneinfo

import numpy as np
import polars as pl
from django.db import transaction

START, END = dt.date(2025, 10, 1), dt.date(2025, 11, 2)
BEFORE = START - dt.timedelta(days=1)  # who was uninsured when the month began
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
    # One date at a time: the copy of each date is read as is (two dates at once are merged and de-duplicated).
    before = columnar.load_frames(dates=[BEFORE])
    persons = (before["persons"].join(assigned, on="village_id")
               .filter(pl.col("household_id").is_not_null()))
    insured = before["cards"].filter(pl.col("person_id").is_not_null())["person_id"].unique()
    cards = columnar.load_frames(dates=[LAST_REGISTER_DAY])["cards"].filter(pl.col("person_id").is_not_null())
    residents = persons.filter(_residents_on(persons, BEFORE))
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


def _bulk_write(visits: list[tuple], rows: list[dict]) -> None:
    """The visits, their members and field reviews, written the way imports write (linkage.writes)."""
    from django.db import connection
    from django.utils import timezone

    from everydoor.campaign.models import FieldReview, Visit, VisitMember
    from everydoor.campaign.visits import CORRECTIONS
    from everydoor.linkage.writes import bulk_insert

    if not visits:
        return
    # Django keeps a UUID as 32 hex digits on SQLite, as a uuid on PostgreSQL
    as_text = (lambda u: u.hex) if connection.vendor == "sqlite" else str
    frame = pl.DataFrame(
        [(as_text(u), h, o, at, out, r, f, c) for u, h, o, at, out, r, f, c in visits],
        schema={"uuid": pl.Utf8, "household_id": pl.Int64, "officer_id": pl.Int64,
                "visited_at": pl.Datetime("us", "UTC"), "outcome": pl.Utf8, "reason": pl.Utf8, "follow_up": pl.Date,
                "content_hash": pl.Utf8}, orient="row")
    frame = frame.with_columns(card_number=pl.lit(""), note=pl.lit(""), phone=pl.lit(""), source=pl.lit("demo"),
                               created_at=pl.lit(timezone.now()).dt.convert_time_zone("UTC"))
    bulk_insert(Visit._meta.db_table, frame)
    ids = dict(Visit.objects.filter(source="demo").values_list("uuid", "id"))
    by_uuid = {str(u): i for u, i in ids.items()}
    members = pl.DataFrame([(by_uuid[r["uuid"]], p, r["outcome"]) for r in rows for p in r["members"]],
                           schema={"visit_id": pl.Int64, "person_id": pl.Int64, "kind": pl.Utf8}, orient="row")
    bulk_insert(VisitMember._meta.db_table, members.select(
        "visit_id", "person_id", confirmed_card_id=pl.lit(None, pl.Int64),
        confirmed_at=pl.lit(None, pl.Datetime("us", "UTC"))))
    bulk_insert(FieldReview._meta.db_table, members.filter(pl.col("kind").is_in(list(CORRECTIONS))).select(
        "visit_id", "person_id", "kind", status=pl.lit(FieldReview.Status.PENDING.value),
        reviewer_id=pl.lit(None, pl.Int64), decided_at=pl.lit(None, pl.Datetime("us", "UTC")), note=pl.lit("")))


def demo_visits(*, seed: int = 2025, step=print) -> dict:
    """Simulate the month; returns counts (visits, through the service, retries, outcomes, confirmed)."""
    from django.contrib.auth import get_user_model

    from everydoor.campaign.confirmations import visits_confirm
    from everydoor.campaign.models import FieldReview, Visit
    from everydoor.campaign.visits import _clean, content_hash, latest_visit_time, visit_record
    from everydoor.core.errors import EverydoorError
    from everydoor.pipeline import loaders
    from everydoor.registry.models import Household

    if Visit.objects.filter(source="demo").exists():
        step("the demo's visits are already there")
        return {"visits": Visit.objects.filter(source="demo").count()}
    rng = np.random.default_rng(seed + 15)
    started = time.perf_counter()
    plan = _plan(rng)
    step(f"visits planned from the registers in {time.perf_counter() - started:.1f} s")
    if plan.is_empty():
        step("no officer is assigned to a village: no visits simulated")
        return {"visits": 0}
    codes = dict(Household.objects.filter(id__in=plan["household_id"].unique().to_list()).values_list("id", "code"))
    plan = plan.with_columns(code=pl.col("household_id").replace_strict(codes, return_dtype=pl.Utf8))
    rows = plan.to_dicts()
    served = set(rng.choice(len(rows), min(THROUGH_SERVICE, len(rows)), replace=False).tolist())
    counts = {"through_service": 0, "retried": 0, "refused_by_service": 0}
    officers = {u.pk: u for u in get_user_model().objects.filter(pk__in=plan["officer_id"].unique().to_list())}
    latest = latest_visit_time()
    bulk = []
    for i, row in enumerate(rows):
        if i not in served:
            clean = _clean(_input(row), latest=latest)
            bulk.append((clean["uuid"], row["household_id"], row["officer_id"], clean["visited_at"], clean["outcome"],
                         clean["reason"], clean["follow_up"], content_hash(clean, row["officer_id"])))
    with loaders.bulk_writes(), transaction.atomic():
        for i in sorted(served):
            data, officer = _input(rows[i]), officers[rows[i]["officer_id"]]
            try:
                visit_record(data=data, officer=officer, source="demo")
                counts["through_service"] += 1
                if rng.random() < RETRY_SHARE:  # the phone did not hear the answer and posts again
                    _, created = visit_record(data=data, officer=officer, source="demo")
                    counts["retried"] += 1
                    assert not created
            except EverydoorError:
                counts["refused_by_service"] += 1
        _bulk_write(bulk, [r for i, r in enumerate(rows) if i not in served])
    step(f"visits written in {time.perf_counter() - started:.1f} s")
    confirmed = visits_confirm()
    outcomes = dict(plan.group_by("outcome").len().iter_rows())
    return {"visits": Visit.objects.filter(source="demo").count(), **counts, "outcomes": outcomes,
            "field_reviews": FieldReview.objects.count(), "confirmed": confirmed["confirmed"]}
