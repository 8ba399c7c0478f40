"""Writes of the linkage domain: link runs and review decisions.

A run links every present card to a resident: first by personal ID (a join), then with the
Splink model on the rest; it queues the doubtful pairs for review and reports duplicates.
Existing links and reviewers' decisions are kept, so a re-run only works on what changed.
"""

import json
import tempfile
import time
from collections.abc import Callable

import duckdb
import polars as pl
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.linkage import frames, scoring, stages, writes
from everydoor.linkage.features import fold_expr
from everydoor.linkage.model import model_dialect
from everydoor.linkage.models import Duplicate, Link, LinkModel, LinkRun, ReviewItem
from everydoor.pipeline import loaders
from everydoor.registry.models import Card, Person

ENGINES = ("duckdb", "spark")
DUCKDB_THREADS = 2
DUCKDB_MEMORY = "4GB"

Progress = Callable[[str], None]


def _fingerprint() -> dict:
    """What a run depends on; an unchanged fingerprint means an unchanged result."""
    persons = Person.objects.filter(present=True).aggregate(n=Count("id"), max_id=Max("id"), batch=Max("batch_id"))
    cards = Card.objects.filter(present=True).aggregate(n=Count("id"), max_id=Max("id"), batch=Max("batch_id"))
    return {"persons": persons, "cards": cards, **_decisions_fingerprint()}


def _decisions_fingerprint() -> dict:
    """The part a run changes itself: links and review items (the registers are as read at its start)."""
    links = Link.objects.aggregate(n=Count("id"), max_id=Max("id"))
    reviews = ReviewItem.objects.aggregate(n=Count("id"), decided=Count("id", filter=~Q(decision="pending")))
    return {"links": links, "reviews": reviews}


def link_counts() -> dict:
    """The reconciliation figures printed by `everydoor link --json`, as the database holds them now."""
    present = Card.objects.filter(present=True)
    by_method = dict(
        Link.objects.filter(card__present=True).values_list("method").annotate(n=Count("id")).values_list("method", "n")
    )
    pending = ReviewItem.objects.filter(decision=ReviewItem.Decision.PENDING, card__present=True,
                                        card__link__isnull=True).count()
    last = LinkRun.objects.order_by("-id").first()
    return _counts(cards=present.count(), by_method=by_method, to_review=pending,
                   duplicates=Duplicate.objects.filter(run=last).count())


def _counts(*, cards: int, by_method: dict, to_review: int, duplicates: int) -> dict:
    linked = sum(by_method.values())
    return {
        "cards": cards,
        "linked_by_id": by_method.get(Link.Method.PERSONAL_ID, 0),
        "linked_probabilistic": by_method.get(Link.Method.PROBABILISTIC, 0),
        "linked_manual": by_method.get(Link.Method.MANUAL, 0),
        "to_review": to_review,
        "unlinked": cards - linked,
        "duplicates": duplicates,
        "synced_rate": round(linked / cards, 6) if cards else 0.0,
    }


def _connect(temp_dir: str) -> duckdb.DuckDBPyConnection:
    # Bounded: the machine is shared, and DuckDB would otherwise take 80% of its memory.
    return duckdb.connect(config={"threads": DUCKDB_THREADS, "memory_limit": DUCKDB_MEMORY,
                                  "temp_directory": temp_dir, "preserve_insertion_order": False})


def _load(con: duckdb.DuckDBPyConnection) -> None:
    """persons, cards (with address_key), links, reviews and villages as tables on ``con``."""
    cards = frames.cards_frame()
    # A few thousand distinct addresses for millions of cards: fold each once.
    keys = cards.select("address").unique().with_columns(address_key=fold_expr(pl.col("address")).replace("", None))
    tables = {"persons": frames.persons_frame(), "cards": cards.join(keys, on="address", how="left").drop("address"),
              "links": frames.links_frame(), "reviews": frames.review_frame(), "villages": frames.villages_frame()}
    del cards, keys
    for name in list(tables):
        con.register(f"{name}_arrow", tables.pop(name).to_arrow())
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
    # Links of cards no longer present neither count nor block anything.
    con.execute("DELETE FROM links WHERE card_id NOT IN (SELECT card_id FROM cards)")


def _latest_model(dialect: str) -> LinkModel | None:
    for model in LinkModel.objects.order_by("-version")[:5]:
        if model_dialect(model.settings_json) == dialect:
            return model
    return None


def link_run(*, engine: str = "duckdb", progress: Progress | None = None, retrain: bool = False) -> dict:
    """Link every present card to a resident; return the counts (see ``link_counts``)."""
    if engine not in ENGINES:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    step = progress or (lambda _msg: None)
    started = time.perf_counter()
    fingerprint = _fingerprint()
    last = LinkRun.objects.order_by("-id").first()
    if last is not None and not retrain and last.fingerprint == fingerprint:
        step("nothing changed since the last run")
        return last.counts

    with tempfile.TemporaryDirectory(prefix="everydoor-duckdb-") as temp_dir, _connect(temp_dir) as con:
        step("reading registers")
        _load(con)
        step("linking by personal ID")
        stages.exact_links(con)
        con.execute("""CREATE OR REPLACE TABLE pool AS SELECT card_id FROM cards
                       WHERE card_id NOT IN (SELECT card_id FROM all_links)""")
        n_pool = con.sql("SELECT count(*) FROM pool").fetchall()[0][0]
        dialect = "duckdb" if engine == "duckdb" else "spark"
        model = None if retrain else _latest_model(dialect)
        trained = None
        if n_pool:
            settings = json.loads(model.settings_json) if model else None
            trained = scoring.score_pool(con, engine=engine, settings=settings, step=step)
        else:
            scoring.empty_scores(con)
        if trained is not None:
            lower, upper = trained.lower, trained.upper
        else:
            lower, upper = (model.lower_threshold, model.upper_threshold) if model else scoring.DEFAULT_THRESHOLDS
        step("choosing links")
        stages.select_links(con, lower, upper)
        con.execute("""CREATE OR REPLACE TABLE final_links AS
                       SELECT card_id, person_id FROM all_links UNION ALL SELECT card_id, person_id FROM new_links""")
        duplicates = stages.duplicates(con)
        id_links = con.sql("SELECT card_id, person_id FROM id_links ORDER BY card_id").pl()
        new_links = con.sql("SELECT card_id, person_id, match_probability FROM new_links ORDER BY card_id").pl()
        review = con.sql("SELECT card_id, person_id, match_probability FROM review ORDER BY card_id").pl()
        by_method = dict(con.sql("""SELECT method, count(*) FROM all_links GROUP BY method
                                    UNION ALL SELECT 'probabilistic', count(*) FROM new_links""").fetchall())
        n_links = con.sql("SELECT count(*) FROM links").fetchall()[0][0]
        # Pending pairs of cards still without a link: those already queued and those queued now.
        to_review = con.sql("""
            SELECT count(*) FROM (SELECT card_id FROM reviews WHERE decision = 'pending'
                                  UNION ALL SELECT card_id FROM review) r
            WHERE r.card_id IN (SELECT card_id FROM cards) AND r.card_id NOT IN (SELECT card_id FROM final_links)
        """).fetchall()[0][0]
        n_cards = con.sql("SELECT count(*) FROM cards").fetchall()[0][0]

    step("writing links")
    # bulk_writes: SQLite's per-row foreign key look-ups (a third of the insert time for millions of
    # links) are off; the ids written were read from the registers, whose rows are never deleted.
    with loaders.bulk_writes(), transaction.atomic():
        if trained is not None:
            version = (LinkModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
            model = LinkModel.objects.create(version=version, settings_json=trained.settings_json,
                                             lower_threshold=trained.lower, upper_threshold=trained.upper,
                                             trained_on=trained.trained_on)
        _write_links(id_links, new_links, model, rebuild_indexes=id_links.height + new_links.height > n_links)
        if loaders.is_postgres():
            # The planner's picture of a table that just grew by millions (as imports do, registry.merge):
            # without it, a village's links were found by a sequential scan of all of them (work list of a
            # demo village 790 ms -> 150 ms under load after ANALYZE).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE linkage_link")
        _write_review(review, model)
        run = LinkRun.objects.create(engine=engine, model=model)
        Duplicate.objects.all().delete()
        writes.bulk_insert(Duplicate._meta.db_table, duplicates.with_columns(run_id=pl.lit(run.id, pl.Int64)))
        run.fingerprint = {**fingerprint, **_decisions_fingerprint()}
        run.duration_s = round(time.perf_counter() - started, 3)
        run.counts = _counts(cards=n_cards, by_method=by_method, to_review=to_review, duplicates=duplicates.height)
        run.save(update_fields=["fingerprint", "duration_s", "counts"])
    # Enrolments claimed at the door whose card has now come in (campaign); imported here, not at the top:
    # the campaign builds on linkage, not the other way round.
    from everydoor.campaign.confirmations import visits_confirm

    visits_confirm()
    return run.counts


def _write_links(id_links: pl.DataFrame, new_links: pl.DataFrame, model: LinkModel | None, *,
                 rebuild_indexes: bool) -> None:
    now = timezone.now()
    by_id = id_links.select(
        "card_id", "person_id", method=pl.lit(Link.Method.PERSONAL_ID.value), match_probability=pl.lit(1.0),
        model_id=pl.lit(None, pl.Int64), reviewer_id=pl.lit(None, pl.Int64), linked_at=pl.lit(now))
    probabilistic = new_links.select(
        "card_id", "person_id", method=pl.lit(Link.Method.PROBABILISTIC.value),
        match_probability=pl.col("match_probability").round(6),
        model_id=pl.lit(model.id if model else None, pl.Int64), reviewer_id=pl.lit(None, pl.Int64),
        linked_at=pl.lit(now))
    # In card order, the unique card index only grows at its end: half the time of DuckDB's join order.
    writes.bulk_insert(Link._meta.db_table, pl.concat([by_id, probabilistic]).sort("card_id"),
                       rebuild_indexes=rebuild_indexes)


def _write_review(review: pl.DataFrame, model: LinkModel | None) -> None:
    now = timezone.now()
    rows = review.select(
        "card_id", "person_id", match_probability=pl.col("match_probability").round(6),
        model_id=pl.lit(model.id if model else None, pl.Int64), decision=pl.lit(ReviewItem.Decision.PENDING.value),
        reviewer_id=pl.lit(None, pl.Int64), decided_at=pl.lit(None, pl.String), created_at=pl.lit(now))
    writes.bulk_insert(ReviewItem._meta.db_table, rows)


# --- review queue ---------------------------------------------------------------------------------

def review_decide(*, item_id: int, accept: bool, user=None, actor: str = "") -> ReviewItem:
    """Accept (a manual link) or reject (never linked again) a pair; a decision is final."""
    from everydoor.accounts.services import audit_record

    with transaction.atomic():
        item = ReviewItem.objects.select_for_update().filter(id=item_id).first()
        if item is None:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"no review item {item_id}: see `everydoor review list`")
        if item.decision != ReviewItem.Decision.PENDING:
            raise EverydoorError(ErrorCode.INVALID_INPUT, f"review item {item_id} was already {item.decision}")
        if accept:
            Link.objects.filter(card_id=item.card_id).delete()
            Link.objects.create(card_id=item.card_id, person_id=item.person_id, method=Link.Method.MANUAL,
                                match_probability=item.match_probability, model=item.model, reviewer=user)
        else:
            Link.objects.filter(card_id=item.card_id, person_id=item.person_id).delete()
        item.decision = ReviewItem.Decision.ACCEPTED if accept else ReviewItem.Decision.REJECTED
        item.reviewer = user
        item.decided_at = timezone.now()
        item.save(update_fields=["decision", "reviewer", "decided_at"])
        audit_record(actor=actor or (user.get_username() if user else "system"), action="review", user=user,
                     object_type="review_item", object_id=str(item.id),
                     detail={"card_id": item.card_id, "person_id": item.person_id, "decision": item.decision})
    return item
