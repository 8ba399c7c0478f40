import datetime as dt
import random

import pytest

from everydoor.core.errors import EverydoorError
from everydoor.linkage.models import Duplicate, Link, LinkModel, LinkRun, ReviewItem
from everydoor.linkage.selectors import links_export_frame, review_list
from everydoor.linkage.services import link_run, review_decide
from tests import factories
from tests.linkage import synth


def _links():
    return dict(Link.objects.values_list("card_id", "person_id"))


@pytest.mark.django_db
def test_personal_id_links_need_an_agreeing_id():
    com = factories.commune()
    person = factories.person(personal_id="010090123456", com=com, dob=dt.date(1990, 5, 17), sex="M")
    good = factories.card(personal_id="010090123456", com=com)
    wrong_sex = factories.card(personal_id="010090123456", com=com, sex="F", full_name="Zzz Qqq", dob=None)
    counts = link_run()
    link = Link.objects.get(card=good)
    assert (link.person_id, link.method, link.match_probability) == (person.id, "personal_id", 1.0)
    assert not Link.objects.filter(card=wrong_sex, method="personal_id").exists()
    assert counts["linked_by_id"] == 1
    assert counts["cards"] == 2


@pytest.mark.django_db
def test_probabilistic_links_are_precise_and_complete(register):
    counts = link_run()
    truth = register["truth"]
    links = _links()
    correct = sum(1 for card, person in links.items() if truth[card] == person)
    assert correct == len(links)  # precision 1.0
    assert correct / len(truth) >= 0.97  # recall
    assert counts["linked_by_id"] + counts["linked_probabilistic"] == len(links)
    assert counts["synced_rate"] == pytest.approx(len(links) / len(truth), abs=1e-6)
    model = LinkModel.objects.get()
    assert model.lower_threshold < model.upper_threshold
    assert model.upper_threshold != 0.5
    probabilistic = Link.objects.filter(method="probabilistic")
    assert probabilistic.exists() and not probabilistic.filter(model__isnull=True).exists()
    # unchanged data: same counts, no new rows of any kind
    rows = (Link.objects.count(), ReviewItem.objects.count(), LinkModel.objects.count(), LinkRun.objects.count(),
            Duplicate.objects.count())
    assert link_run() == counts
    assert (Link.objects.count(), ReviewItem.objects.count(), LinkModel.objects.count(), LinkRun.objects.count(),
            Duplicate.objects.count()) == rows
    export = links_export_frame()
    assert export.height == len(truth)
    assert export.columns == ["card_number", "si_code", "personal_id", "method", "match_probability"]


@pytest.mark.django_db
def test_rerun_after_import_links_only_the_new(register):
    link_run()
    before = {(c, p, m) for c, p, m in Link.objects.values_list("card_id", "person_id", "method")}
    person = register["persons"][3]
    new_card = factories.card(si_code="1599999999", full_name=person.full_name, dob=person.dob, sex=person.sex, com=person.commune,
                              valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    counts = link_run()
    after = {(c, p, m) for c, p, m in Link.objects.values_list("card_id", "person_id", "method")}
    assert before <= after
    assert (new_card.id, person.id, "probabilistic") in after - before
    # the other new links are cards left for review before, now helped by their renewals' links
    assert all(truth_card[0] in register["truth"] for truth_card in after - before if truth_card[0] != new_card.id)
    assert all(register["truth"][c] == p for c, p, _ in after - before if c != new_card.id)
    assert LinkModel.objects.count() == 1  # the model is reused, not trained again
    assert counts["cards"] == len(register["truth"]) + 1


@pytest.mark.django_db
def test_review_decisions_are_final(register):
    link_run()
    items = review_list()
    assert items, "the synthetic register leaves a few doubtful pairs"
    first, *rest = items
    review_decide(item_id=first["id"], accept=True)
    assert Link.objects.get(card_id=first["card_id"]).method == "manual"
    with pytest.raises(EverydoorError):
        review_decide(item_id=first["id"], accept=False)
    # rejecting a linked pair removes the link, and no later run brings it back
    link = Link.objects.filter(method="probabilistic").first()
    item = ReviewItem.objects.create(card_id=link.card_id, person_id=link.person_id, match_probability=0.9)
    review_decide(item_id=item.id, accept=False)
    link_run()
    assert not Link.objects.filter(card_id=link.card_id, person_id=link.person_id).exists()
    assert Link.objects.get(card_id=first["card_id"]).method == "manual"
    link_run(retrain=True)
    assert not Link.objects.filter(card_id=link.card_id, person_id=link.person_id).exists()
    assert Link.objects.get(card_id=first["card_id"]).method == "manual"


@pytest.mark.django_db
def test_duplicates_are_reported_not_merged():
    com = factories.commune()
    a = factories.person(personal_id="010090123456", com=com)
    twin = factories.person(personal_id="010090654321", com=com)  # same name, dob, commune: duplicate resident
    c1 = factories.card(personal_id="010090123456", com=com, si_code="1500000001")
    c2 = factories.card(personal_id="010090123456", com=com, si_code="1500000002")  # second valid card
    link_run()
    kinds = set(Duplicate.objects.values_list("kind", "card_id", "other_card_id", "person_id", "other_person_id"))
    assert ("cards_one_resident", c1.id, c2.id, a.id, None) in kinds
    assert ("residents", None, None, a.id, twin.id) in kinds
    assert Link.objects.filter(card__in=[c1, c2], person=a).count() == 2  # both kept, reported


@pytest.mark.django_db
def test_unknown_engine_is_a_user_error():
    with pytest.raises(EverydoorError):
        link_run(engine="hadoop")


@pytest.mark.django_db
def test_a_card_whose_id_names_nobody_is_not_given_to_a_namesake(register):
    """A valid personal ID found in no resident's record belongs to a non-resident: two different IDs
    outweigh an identical name, date of birth and commune."""
    person = register["persons"][5]
    stranger = factories.card(si_code="1588888888", personal_id=synth.personal_id(random.Random(1), person.sex,
                                                                                     person.dob_year),
                              full_name=person.full_name, dob=person.dob, sex=person.sex, com=person.commune)
    twin_without_id = factories.card(si_code="1577777777", full_name=person.full_name, dob=person.dob,
                                     sex=person.sex, com=person.commune)
    assert stranger.personal_id != person.personal_id
    link_run()
    assert not Link.objects.filter(card=stranger).exists()
    assert not ReviewItem.objects.filter(card=stranger).exists()
    # the same record without an ID is still linked: the ID comparison only speaks when both have one
    assert Link.objects.get(card=twin_without_id).person_id == person.id
