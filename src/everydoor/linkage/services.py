"""Writes of the linkage domain: link runs and review decisions.

A run links every present card to a resident: first by personal ID (a join), then with the
Splink model on the rest; it queues the doubtful pairs for review and reports duplicates.
Existing links and reviewers' decisions are kept, so a re-run only works on what changed.
"""

import datetime as dt
import json
import time
from collections.abc import Callable

import duckdb
import polars as pl
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.linkage import frames, stages, writes
from everydoor.linkage.features import fold_expr
from everydoor.linkage.model import Scorer, model_dialect
from everydoor.linkage.models import Duplicate, Link, LinkModel, LinkRun, ReviewItem
from everydoor.linkage.thresholds import choose_thresholds
from everydoor.registry.models import Card, Person

ENGINES = ("duckdb", "spark")
# Cards sampled to train the model, and ID-linked cards re-scored to choose the thresholds.
TRAINING_CARDS = 300_000
CALIBRATION_CARDS = 20_000

Progress = Callable[[str], None]


def _fingerprint() -> dict:
    """What a run depends on; an unchanged fingerprint means an unchanged result."""
    persons = Person.objects.filter(present=True).aggregate(n=Count("id"), max_id=Max("id"), batch=Max("batch_id"))
    cards = Card.objects.filter(present=True).aggregate(n=Count("id"), max_id=Max("id"), batch=Max("batch_id"))
    links = Link.objects.aggregate(n=Count("id"), max_id=Max("id"))
    reviews = ReviewItem.objects.aggregate(n=Count("id"), decided=Count("id", filter=~Q(decision="pending")))
    return {"persons": persons, "cards": cards, "links": links, "reviews": reviews}


def _timestamp_value(moment: dt.datetime) -> str:
    """A timestamp as the database's bulk path expects it (SQLite stores naive UTC text)."""
    utc = moment.astimezone(dt.UTC)
    if connection.vendor == "postgresql":
        return utc.isoformat()
    return utc.replace(tzinfo=None).isoformat(sep=" ")


def link_counts() -> dict:
    """The reconciliation figures printed by `everydoor link --json`."""
    present = Card.objects.filter(present=True)
    by_method = dict(
        Link.objects.filter(card__present=True).values_list("method").annotate(n=Count("id")).values_list("method", "n")
    )
    linked = sum(by_method.values())
    cards = present.count()
    return {
        "cards": cards,
        "linked_by_id": by_method.get(Link.Method.PERSONAL_ID, 0),
        "linked_probabilistic": by_method.get(Link.Method.PROBABILISTIC, 0),
        "linked_manual": by_method.get(Link.Method.MANUAL, 0),
        "to_review": ReviewItem.objects.filter(decision=ReviewItem.Decision.PENDING, card__present=True,
                                               card__link__isnull=True).count(),
        "unlinked": cards - linked,
        "duplicates": Duplicate.objects.filter(run=LinkRun.objects.order_by("-id").first()).count(),
        "synced_rate": round(linked / cards, 6) if cards else 0.0,
    }


def _load(con: duckdb.DuckDBPyConnection) -> None:
    persons = frames.persons_frame()
    cards = frames.cards_frame().with_columns(address_key=fold_expr(pl.col("address")).replace("", None))
    reviews = frames.review_frame()
    villages = frames.villages_frame()
    links = frames.links_frame().join(cards.select("card_id"), on="card_id", how="semi")
    for name, frame in {"persons": persons, "cards": cards, "links": links, "reviews": reviews,
                        "villages": villages}.items():
        con.register(f"{name}_arrow", frame.to_arrow())
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")


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
        return link_counts()

    con = duckdb.connect()
    step("reading registers")
    _load(con)
    step("linking by personal ID")
    stages.exact_links(con)
    stages.hints(con)
    con.execute("""CREATE OR REPLACE TABLE pool AS SELECT card_id FROM cards
                   WHERE card_id NOT IN (SELECT card_id FROM all_links)""")
    n_pool = con.sql("SELECT count(*) FROM pool").fetchall()[0][0]

    dialect = "duckdb" if engine == "duckdb" else "spark"
    model = None if retrain else _latest_model(dialect)
    scores, lower, upper, trained = _score(con, engine, model, step) if n_pool else (_NO_SCORES, None, None, None)
    if lower is None:
        lower, upper = (model.lower_threshold, model.upper_threshold) if model else (0.05, 0.9)

    con.register("scores_arrow", scores.to_arrow())
    con.execute("CREATE OR REPLACE TABLE scores AS SELECT * FROM scores_arrow")
    stages.select_links(con, lower, upper)
    con.execute("""CREATE OR REPLACE TABLE final_links AS
                   SELECT card_id, person_id FROM all_links UNION ALL SELECT card_id, person_id FROM new_links""")
    duplicates = stages.duplicates(con)
    id_links = con.sql("SELECT card_id, person_id FROM id_links").pl()
    new_links = con.sql("SELECT card_id, person_id, match_probability FROM new_links").pl()
    review = con.sql("SELECT card_id, person_id, match_probability FROM review").pl()
    con.close()

    step("writing links")
    with transaction.atomic():
        if trained is not None:
            version = (LinkModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
            model = LinkModel.objects.create(version=version, settings_json=trained[0], lower_threshold=trained[1],
                                             upper_threshold=trained[2], trained_on=trained[3])
        _write_links(id_links, new_links, model)
        _write_review(review, model)
        run = LinkRun.objects.create(engine=engine, model=model)
        Duplicate.objects.all().delete()
        writes.bulk_insert(Duplicate._meta.db_table, duplicates.with_columns(run_id=pl.lit(run.id, pl.Int64)))
        run.fingerprint = _fingerprint()
        run.duration_s = round(time.perf_counter() - started, 3)
        run.counts = link_counts()
        run.save(update_fields=["fingerprint", "duration_s", "counts"])
    return run.counts


_NO_SCORES = pl.DataFrame(schema={"card_id": pl.Int64, "person_id": pl.Int64, "match_weight": pl.Float64,
                                  "match_probability": pl.Float64})


def _score(con: duckdb.DuckDBPyConnection, engine: str, model: LinkModel | None, step: Progress):
    """Score the pool's candidate pairs, training a model first when there is none.

    Returns (scores, lower, upper, trained) where ``trained`` is (settings_json, lower, upper,
    trained_on) for a model trained here, else None.
    """
    persons_in = stages.person_inputs(con)
    if model is not None:
        step("scoring candidate pairs")
        scorer = Scorer(stages.card_inputs(con, "card_id IN (SELECT card_id FROM pool)").to_arrow(),
                        persons_in.to_arrow(), engine=engine, settings=json.loads(model.settings_json))
        return pl.from_arrow(scorer.predict()), model.lower_threshold, model.upper_threshold, None

    step("training the model")
    train_cards = stages.card_inputs(con, f"hash(card_id) % 1000 < {_sample_permille(con, TRAINING_CARDS)}")
    scorer = Scorer(train_cards.to_arrow(), persons_in.to_arrow(), engine=engine)
    if not scorer.train():
        return _NO_SCORES, None, None, None  # too few records to learn from: the rest waits for more data
    settings_json = scorer.settings_json()
    # ID-linked cards, scored as if they had no ID, are the labels that choose the thresholds.
    calibration_where = (f"card_id IN (SELECT card_id FROM all_links WHERE method = 'personal_id') "
                         f"AND hash(card_id) % 1000 < {_sample_permille(con, CALIBRATION_CARDS, 'id')}")
    step("scoring candidate pairs")
    scoring_cards = stages.card_inputs(con, f"card_id IN (SELECT card_id FROM pool) OR ({calibration_where})")
    scorer = Scorer(scoring_cards.to_arrow(), persons_in.to_arrow(), engine=engine,
                    settings=json.loads(settings_json))
    scores = pl.from_arrow(scorer.predict())
    con.register("scores_arrow", scores.to_arrow())
    calibration = con.sql("""
        WITH best AS (
            SELECT s.card_id, s.person_id, s.match_probability,
                   row_number() OVER (PARTITION BY s.card_id ORDER BY s.match_weight DESC, s.person_id) AS r
            FROM scores_arrow s JOIN all_links l USING (card_id) WHERE l.method = 'personal_id')
        SELECT b.match_probability, (b.person_id = l.person_id) AS correct
        FROM best b JOIN all_links l USING (card_id) WHERE r = 1
    """).pl()
    con.unregister("scores_arrow")
    n_calibration = stages.card_inputs(con, calibration_where).height
    if n_calibration >= 50:
        lower, upper = choose_thresholds(calibration, n_calibration)
    else:
        lower, upper = choose_thresholds(_expected_best(scores))
    trained_on = {"cards": train_cards.height, "persons": persons_in.height, "calibration_cards": n_calibration}
    return scores, lower, upper, (settings_json, lower, upper, trained_on)


def _sample_permille(con: duckdb.DuckDBPyConnection, wanted: int, kind: str = "all") -> int:
    """Per-mille of cards to sample so that about ``wanted`` are taken."""
    sql = ("SELECT count(*) FROM cards" if kind == "all"
           else "SELECT count(*) FROM all_links WHERE method = 'personal_id'")
    total = con.sql(sql).fetchall()[0][0]
    return 1000 if total <= wanted else max(1, wanted * 1000 // total)


def _expected_best(scores: pl.DataFrame) -> pl.DataFrame:
    """Best candidate per card, its probability standing in for the label."""
    best = scores.sort("match_weight", descending=True).unique("card_id", keep="first")
    return best.select("match_probability", correct=pl.col("match_probability"))


def _write_links(id_links: pl.DataFrame, new_links: pl.DataFrame, model: LinkModel | None) -> None:
    now = _timestamp_value(timezone.now())
    by_id = id_links.select(
        "card_id", "person_id", method=pl.lit(Link.Method.PERSONAL_ID.value), match_probability=pl.lit(1.0),
        model_id=pl.lit(None, pl.Int64), reviewer_id=pl.lit(None, pl.Int64), linked_at=pl.lit(now))
    probabilistic = new_links.select(
        "card_id", "person_id", method=pl.lit(Link.Method.PROBABILISTIC.value),
        match_probability=pl.col("match_probability").round(6),
        model_id=pl.lit(model.id if model else None, pl.Int64), reviewer_id=pl.lit(None, pl.Int64),
        linked_at=pl.lit(now))
    writes.bulk_insert(Link._meta.db_table, pl.concat([by_id, probabilistic]))


def _write_review(review: pl.DataFrame, model: LinkModel | None) -> None:
    now = _timestamp_value(timezone.now())
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
