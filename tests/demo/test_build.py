"""`everydoor demo`, the main job, end to end on a small province: every stage runs on this database, and the
figures the pages read are the ones re-derived from the files alone (check.py)."""

import pytest
from django.contrib.auth import authenticate

from everydoor.coverage.models import ChangePart, CoverageFact
from everydoor.demo.build import AS_OF, DEMO_PASSWORD, YEAR_BEFORE, demo_build
from everydoor.lapses.models import LapseDigest, RiskModel
from everydoor.linkage.models import LinkModel

from .check import check

SCALE = 0.02


@pytest.mark.django_db
def test_the_demo_builds_end_to_end_and_its_figures_are_the_files(tmp_path):
    steps = []
    result = demo_build(out_dir=tmp_path, scale=SCALE, seed=2025, step=steps.append)
    expected = check(tmp_path)
    assert set(result["timings_s"]) >= {"import cards", "link", "coverage", "coverage by month", "lapse warnings"}
    assert any(s.startswith("lapse warnings: done") for s in steps)

    def province(day):
        return CoverageFact.objects.get(as_of=day, level="province", area_code="15", dimension="")

    now, before = province(AS_OF), province(YEAR_BEFORE)
    assert (now.residents, now.cards) == (expected["residents"], expected["valid_cards"])
    assert before.cards == expected["valid_cards_year_before"]
    assert now.plan == expected["plan_cards"]
    # A point a month for the trend: the two dates and the eleven month-ends between them.
    assert CoverageFact.objects.filter(level="province", dimension="").values("as_of").distinct().count() == 13
    # The waterfall's parts add up to the year's change.
    parts = ChangePart.objects.filter(as_of=AS_OF, level="province", area_code="15")
    assert sum(p.cards for p in parts) == now.cards - before.cards
    assert result["links"]["linked_probabilistic"] > 0 and LinkModel.objects.exists()
    assert RiskModel.objects.exists()
    assert LapseDigest.objects.filter(level="commune").count() == expected["communes"]
    assert authenticate(username="muongbo", password=DEMO_PASSWORD) is not None
