"""The dated law: every boundary date gives the figure of its own period."""

import datetime as dt
import json
import tomllib
from decimal import Decimal
from importlib import resources

import pytest

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.rules import law

D = dt.date


@pytest.mark.parametrize(("on", "salary"), [
    (D(2019, 7, 1), 1_490_000), (D(2023, 6, 30), 1_490_000), (D(2023, 7, 1), 1_800_000),
    (D(2024, 6, 30), 1_800_000), (D(2024, 7, 1), 2_340_000), (D(2026, 6, 30), 2_340_000),
    (D(2026, 7, 1), 2_530_000), (D(2040, 1, 1), 2_530_000),
])
def test_base_salary_and_reference_level_by_period(on, salary):
    assert law.base_salary(on) == salary
    assert law.reference_level(on) == salary


def test_every_figure_names_its_source():
    for rows in law.law().figures.values():
        assert all(row.source for row in rows)
    assert law.figure("base_salary", D(2024, 7, 1)).source == "Decree 73/2024/NĐ-CP"


def test_figure_periods_do_not_overlap_and_leave_no_gap():
    for name, rows in law.law().figures.items():
        ordered = sorted(rows, key=lambda r: r.effective_from)
        for before, after in zip(ordered, ordered[1:], strict=False):
            assert before.effective_to == after.effective_from - dt.timedelta(days=1), name
        assert ordered[-1].effective_to is None, name


def test_date_before_the_rules_is_a_user_error_naming_the_first_date():
    with pytest.raises(EverydoorError) as caught:
        law.base_salary(D(2019, 6, 30))
    assert caught.value.code == ErrorCode.INVALID_INPUT
    assert "2019-07-01" in caught.value.message


def test_cn_moves_from_level_3_to_level_2_on_2026_01_01():
    assert law.group_levels_on(D(2025, 12, 31))["CN"] == 3
    assert law.group_levels_on(D(2026, 1, 1))["CN"] == 2
    info = law.group_info("CN", D(2026, 1, 1))
    assert (info.payer_group, info.benefit_level, info.benefit_rate) == ("budget_supported", 2, Decimal("1.00"))
    assert "38/BYT-BH" in info.source


def test_pv_has_level_3_only_from_december_2023_and_tv_has_none():
    assert "PV" not in law.group_levels_on(D(2023, 11, 30))
    assert law.group_levels_on(D(2023, 12, 1))["PV"] == 3
    assert law.group_info("TV", D(2025, 1, 1)).benefit_level is None


def test_group_info_of_common_groups():
    on = D(2025, 7, 1)
    assert law.group_info("TE", on).benefit_level == 1
    assert law.group_info("QN", on).benefit_rate == Decimal("1.00")
    assert law.group_info("GD", on).benefit_rate == Decimal("0.80")
    assert law.group_info("HT", on).payer_group == "si_fund"
    assert law.group_info("DN", on).payer_group == "employer_employee"
    assert law.group_info("HN", on).support_share == Decimal("1.00")
    assert law.group_info("GD", on).support_share == Decimal(0)
    assert law.group_info("TE", on).meaning == "children under 6"


def test_every_group_has_one_payer_and_at_most_one_level_a_day():
    codes = law.known_group_codes()
    payer_lists = tomllib.loads(resources.files("everydoor.rules").joinpath("law.toml").read_text("utf-8"))
    assert sum(len(v) for v in payer_lists["payer_groups"].values()) == len(codes) == 44
    for start, _end, mapping in law.group_level_periods():
        assert set(mapping) <= codes
        rows = [g for g in law.law().group_levels if g.effective_from <= start
                and (g.effective_to is None or start <= g.effective_to)]
        assert len(rows) == len({g.code for g in rows})


def test_unknown_group_is_a_user_error():
    with pytest.raises(EverydoorError, match="unknown group code 'ZZ'"):
        law.group_info("ZZ", D(2025, 1, 1))


@pytest.mark.parametrize(("code", "before", "after"), [
    ("HS", "0.30", "0.50"), ("SV", "0.30", "0.50"), ("CN", "0.70", "0.70"), ("GB", "0.30", "0.30"),
])
def test_support_shares_change_on_2025_07_01(code, before, after):
    assert law.support_share(code, D(2025, 6, 30))[0] == Decimal(before)
    assert law.support_share(code, D(2025, 7, 1))[0] == Decimal(after)


def test_category_support_applies_the_highest_share_and_only_in_its_period():
    assert law.support_share("GD", D(2025, 6, 30), categories=("village_health_worker",))[0] == 0
    assert law.support_share("GD", D(2025, 7, 1), categories=("village_health_worker",))[0] == Decimal("0.50")
    # a pupil who is also in a declassified commune gets 70%, not 50%
    share, source = law.support_share("HS", D(2025, 7, 1), categories=("ethnic_minority_declassified",))
    assert share == Decimal("0.70") and "36 months" in source
    with pytest.raises(EverydoorError, match="unknown support category"):
        law.support_share("GD", D(2025, 7, 1), categories=("nobody",))


OVERRIDES = {"15": {"CN": [{"share": "1.00", "effective_from": "2025-07-01", "source": "Resolution 1/NQ-HĐND"}]}}


def test_provincial_override_raises_the_share_only_in_its_province_and_period():
    assert law.support_share("CN", D(2025, 7, 1), province="15", overrides=OVERRIDES) == (
        Decimal("1.00"), "Resolution 1/NQ-HĐND")
    assert law.support_share("CN", D(2025, 6, 30), province="15", overrides=OVERRIDES)[0] == Decimal("0.70")
    assert law.support_share("CN", D(2025, 7, 1), province="01", overrides=OVERRIDES)[0] == Decimal("0.70")
    assert law.group_info("CN", D(2025, 7, 1), province="15", overrides=OVERRIDES).support_share == 1


def test_a_lower_provincial_share_never_lowers_the_national_minimum():
    low = {"15": {"HS": [{"share": "0.10"}]}}
    assert law.support_share("HS", D(2025, 7, 1), province="15", overrides=low)[0] == Decimal("0.50")


def test_overrides_file_from_settings(tmp_path, settings):
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps(OVERRIDES), encoding="utf-8")
    settings.EVERYDOOR_RULE_OVERRIDES = str(path)
    assert law.support_share("CN", D(2025, 8, 1), province="15")[0] == Decimal("1.00")


def test_bad_overrides_file_names_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"15": {"CN": [{"share": "1.5"}]}}), encoding="utf-8")
    with pytest.raises(EverydoorError, match="bad.json"):
        law.load_overrides(str(path))
