"""The lapse list on a small province: one case per reason, premiums from the rules, sums that add up."""

import datetime as dt

import polars as pl
import pytest

from everydoor.lapses.services import lapse_list, registers_read
from everydoor.rules import law
from everydoor.rules.premium import Member, household_premium

from .conftest import AS_OF, UNTIL

pytestmark = pytest.mark.django_db


def _by_card(result, world) -> dict:
    ids = {card.id: name for name, card in world["cards"].items()}
    return {ids[r["card_id"]]: r for r in result["rows"].to_dicts() if r["card_id"] in ids}


def test_each_reason_with_its_date(world):
    result = lapse_list(area=world["province"], as_of=AS_OF, until=UNTIL)
    rows = _by_card(result, world)
    assert set(rows) == {"poor_adult", "child", "minority", "household", "unlinked"}  # renewed, employee: not
    assert (rows["poor_adult"]["reason"], rows["poor_adult"]["date"]) == ("certificate_ends", dt.date(2025, 12, 31))
    assert (rows["child"]["reason"], rows["child"]["date"]) == ("turns_6", dt.date(2025, 12, 9))
    assert (rows["minority"]["reason"], rows["minority"]["date"]) == ("commune_leaves_list", dt.date(2025, 11, 30))
    assert rows["minority"]["card_lapses"] is False  # the DT card runs to 2026: the support ends, not the card
    assert (rows["household"]["reason"], rows["household"]["date"]) == ("card_ends", dt.date(2025, 11, 30))
    assert rows["unlinked"]["person_id"] is None and rows["unlinked"]["reason"] == "card_ends"


def test_the_premium_after_the_support_ends_comes_from_the_rules(world):
    rows = _by_card(lapse_list(area=world["province"], as_of=AS_OF, until=UNTIL), world)
    # The Dao resident of a commune that left the list: 70% support for 36 months on a household card.
    after = dt.date(2025, 12, 1)
    expected = household_premium(after, [Member("GD", ("ethnic_minority_declassified",))], months=12)
    assert rows["minority"]["entitled"] == "ethnic_minority_declassified"
    assert rows["minority"]["premium"] == expected.members[0].net > 0
    share, source = law.support_share("GD", after, categories=("ethnic_minority_declassified",))
    assert rows["minority"]["share_after"] == float(share) and source in rows["minority"]["premium_source"]
    # The poor household's Mông adult, once the certificate ends, is in the 36 months after the commune left the
    # list: the household's first member, at 70% support;
    declassified = household_premium(dt.date(2026, 1, 1), [Member("GD", ("ethnic_minority_declassified",))], months=12)
    assert rows["poor_adult"]["group_after"] == "GD" and rows["poor_adult"]["premium"] == declassified.members[0].net
    first = household_premium(dt.date(2025, 12, 1), ["GD"], months=12).members[0].net
    # The child turning 6 on 10 December: the household is still poor then, so the state pays the poor card.
    assert (rows["child"]["group_after"], rows["child"]["premium"]) == ("HN", 0)
    # The household card whose owner's sister renewed: she already pays, so he is the second member (70%).
    second = household_premium(dt.date(2025, 12, 1), ["GD"], months=12, already_paying=1).members[0].net
    assert rows["household"]["premium"] == second < first


def test_the_summaries_add_up(world):
    result = lapse_list(area=world["province"], as_of=AS_OF, until=UNTIL)
    rows, summary = result["rows"], result["summary"]
    total = summary["total"]
    assert total["rows"] == rows.height
    assert total["cards_lapsing"] + total["supports_ending"] == rows.height
    for table in ("by_reason", "by_commune", "by_payer_group"):
        assert sum(r["rows"] for r in summary[table]) == rows.height, table
        assert sum(r["premium"] for r in summary[table]) == total["premium"] == rows["premium"].sum(), table
    placed = rows.filter(pl.col("village_id").is_not_null()).height
    assert sum(r["rows"] for r in summary["by_village"]) == placed < rows.height  # the unlinked card has none
    communes = {r["commune"]: r["rows"] for r in summary["by_commune"]}
    assert communes["Xã Mường Bo"] == 3


def test_an_area_keeps_to_its_communes_and_villages(world):
    commune = lapse_list(area=world["leaving"], as_of=AS_OF, until=UNTIL)
    assert set(_by_card(commune, world)) == {"poor_adult", "child", "minority"}
    village = lapse_list(area=world["village_a"], as_of=AS_OF, until=UNTIL)
    assert village["rows"].height == 3


def test_known_on_hides_later_periods(world):
    """Seen from the registers of 31 October, the renewal starting on 1 December is not yet known."""
    regs = registers_read(known_on=AS_OF)
    rows = _by_card(lapse_list(area=world["staying"], as_of=AS_OF, until=UNTIL, regs=regs), world)
    assert rows["renewed"]["reason"] == "card_ends"


def test_until_must_follow_as_of(world):
    from everydoor.core.errors import EverydoorError

    with pytest.raises(EverydoorError, match="must come after"):
        lapse_list(area=world["province"], as_of=AS_OF, until=AS_OF)
