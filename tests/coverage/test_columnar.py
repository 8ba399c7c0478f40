"""The columnar copy of the registers is reused while they are unchanged and never read once stale."""

import datetime as dt

import pytest
from django.db import connection

from everydoor.coverage import columnar
from everydoor.coverage.services import coverage_compute
from everydoor.linkage.models import Link
from everydoor.registry.models import Card, ImportBatch, Person
from tests import factories as f
from tests.coverage.conftest import AS_OF
from tests.coverage.test_engine import fact


@pytest.fixture
def var(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "columnar"


def copies(var) -> list[str]:
    return sorted(p.name for p in var.iterdir() if not p.name.startswith("."))


def test_copy_made_once_and_matches_the_database(world, var):
    first = columnar.load_frames(dates=[AS_OF])
    assert len(copies(var)) == 1
    second = columnar.load_frames(dates=[AS_OF])
    assert len(copies(var)) == 1
    assert first["persons"].equals(second["persons"]) and first["cards"].equals(second["cards"])
    assert first["persons"].height == Person.objects.count()
    valid = Card.objects.filter(valid_from__lte=AS_OF, valid_to__gte=AS_OF)
    assert sorted(first["cards"]["card_id"].to_list()) == sorted(valid.values_list("id", flat=True))
    linked = dict(Link.objects.filter(card__in=valid).values_list("card_id", "person_id"))
    got = {c: p for c, p in first["cards"].select("card_id", "person_id").iter_rows() if p is not None}
    assert got == linked


def test_orm_edit_makes_the_copy_stale(world, var):
    columnar.load_frames(dates=[AS_OF])
    person = Person.objects.filter(status="resident", status_date__isnull=True, dob__lt=AS_OF).first()
    person.status, person.status_date = "deceased", dt.date(2025, 1, 1)
    person.save()
    persons = columnar.load_frames(dates=[AS_OF])["persons"]
    assert persons.filter(person_id=person.id)["status"].to_list() == ["deceased"]
    assert len(copies(var)) == 2


def test_bulk_write_with_its_batch_makes_the_copy_stale(world, var):
    """Imports write with SQL, not the ORM: the batch they save in the same transaction stands for them."""
    commune = world["communes"][0]
    before = coverage_compute(as_of=AS_OF)
    residents = fact(AS_OF, "commune", commune.code).residents
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_person SET status = 'moved_out', status_date = %s "
                       "WHERE commune_id = %s AND status = 'resident'", [dt.date(2025, 1, 1), commune.id])
    f.batch()  # the import's ImportBatch, saved in its transaction
    after = coverage_compute(as_of=AS_OF)
    assert fact(AS_OF, "commune", commune.code).residents == 0 < residents
    assert after["persons"] == before["persons"]


def test_link_removed_by_a_review_makes_the_copy_stale(world, var):
    columnar.load_frames(dates=[AS_OF])
    from everydoor.linkage.models import ReviewItem
    from everydoor.linkage.services import review_decide

    link = Link.objects.filter(card__valid_from__lte=AS_OF, card__valid_to__gte=AS_OF).first()
    item = ReviewItem.objects.create(card_id=link.card_id, person_id=link.person_id, match_probability=0.5)
    review_decide(item_id=item.id, accept=False, actor="test")
    cards = columnar.load_frames(dates=[AS_OF])["cards"]
    assert cards.filter(card_id=link.card_id)["person_id"].to_list() == [None]


def test_new_rows_without_signals_change_the_version(world, var):
    """bulk_create sends no signal; the highest ids are part of the version."""
    key = columnar.version_key()
    Person.objects.bulk_create([Person(record_key="bulk-1", full_name="Lò Văn Bình", name_key="lo van binh",
                                       dob_year=1990, commune=world["communes"][0],
                                       batch=ImportBatch.objects.first())])
    assert columnar.version_key() != key


def test_figures_follow_the_registers_and_plans(world, var):
    """A read after an import, a link or a new plan recomputes the date's facts; an unchanged read does not."""
    from everydoor.core.models import JobRun
    from everydoor.coverage.selectors import coverage_for_area
    from everydoor.coverage.services import plan_set

    province = world["province"]
    first = coverage_for_area(province, AS_OF)
    jobs = JobRun.objects.filter(kind="coverage").count()
    assert coverage_for_area(province, AS_OF) == first
    assert JobRun.objects.filter(kind="coverage").count() == jobs
    holder = Person.objects.filter(status="resident", status_date__isnull=True, dob__lt=AS_OF).exclude(
        links__card__valid_from__lte=AS_OF, links__card__valid_to__gte=AS_OF).first()
    card = f.card(valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31), com=holder.commune)
    Link.objects.create(card=card, person=holder, method="manual")
    second = coverage_for_area(province, AS_OF)
    assert (second["cards"], second["insured_residents"]) == (first["cards"] + 1, first["insured_residents"] + 1)
    plan_set(area=province, year=2025, cards=second["cards"] * 2, actor="test")
    assert coverage_for_area(province, AS_OF)["plan_attainment"] == 50.0


def _valid_ids(*days: dt.date) -> list[int]:
    cards = Card.objects.none()
    for day in days:
        cards = cards | Card.objects.filter(valid_from__lte=day, valid_to__gte=day)
    return sorted(cards.values_list("id", flat=True).distinct())


def test_a_few_dates_copy_their_cards_only_and_many_dates_every_card(world, var):
    year_before = dt.date(2024, 10, 31)
    one = columnar.load_frames(dates=[AS_OF])
    folder = var / columnar.version_key()
    assert sorted(p.name for p in folder.iterdir()) == ["cards-2025-10-31.parquet", "persons.parquet"]
    assert sorted(one["cards"]["card_id"].to_list()) == _valid_ids(AS_OF) != []
    two = columnar.load_frames(dates=[year_before, AS_OF])  # a card valid on both dates comes once
    assert sorted(p.name for p in folder.iterdir()) == [
        "cards-2024-10-31.parquet", "cards-2025-10-31.parquet", "persons.parquet"]
    assert sorted(two["cards"]["card_id"].to_list()) == _valid_ids(year_before, AS_OF)
    trend = [dt.date(2025, month, 28) for month in (1, 4, 7)]
    many = columnar.load_frames(dates=trend)
    assert (folder / "cards.parquet").exists()
    assert sorted(many["cards"]["card_id"].to_list()) == _valid_ids(*trend)
    # from now on every date is answered from the whole copy, without a file of its own
    other = columnar.load_frames(dates=[dt.date(2025, 2, 1)])
    assert not (folder / "cards-2025-02-01.parquet").exists()
    assert sorted(other["cards"]["card_id"].to_list()) == _valid_ids(dt.date(2025, 2, 1))
