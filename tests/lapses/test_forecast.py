"""The forecast band, scenarios tried without touching the rules, the risk model and the reminders."""

import datetime as dt
import json

import polars as pl
import pytest
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent
from everydoor.cli.app import app
from everydoor.core.errors import EverydoorError
from everydoor.geo.models import AreaStatus
from everydoor.lapses import risk
from everydoor.lapses.models import RiskModel
from everydoor.lapses.scenario import forecast_with
from everydoor.lapses.services import lapse_list, lapse_rows, registers_read
from everydoor.rules import law

from .conftest import AS_OF, UNTIL

pytestmark = pytest.mark.django_db
runner = CliRunner()


def test_the_band_is_ordered_and_its_parts_add_up(world):
    result = forecast_with(area=world["province"], as_of=AS_OF, at=UNTIL)
    band = result["cards"]
    assert band["low"] <= band["expected"] <= band["high"]
    parts = result["parts"]
    assert band["expected"] == parts["known_valid_on_at"] + parts["expected_renewals"] + parts["expected_new_enrolments"]
    assert parts["due"] == sum(r["due"] for r in result["by_class"]) > 0
    # The paying households' class was learned from the history of the village of Thôn Ba.
    household = next(r for r in result["by_class"] if r["card_class"] == "household/pays")
    assert household["learned"] and 0 < household["rate"] < 1
    assert result["rate_pct"]["expected"] == round(100 * band["expected"] / result["residents"], 2)


def test_the_plan_gap_per_week(world):
    from everydoor.coverage.services import plan_set

    plan_set(area=world["province"], year=2025, cards=400, actor="test")
    result = forecast_with(area=world["province"], as_of=AS_OF, at=dt.date(2025, 12, 31), today=dt.date(2025, 11, 2))
    plan = result["plan"]
    assert plan["cards"] == 400 and plan["weeks_left"] == round(59 / 7, 1)
    assert plan["cards_needed_per_week"]["expected"] == -(-(400 - result["cards"]["expected"]) // (59 / 7))


def test_a_scenario_is_applied_without_writing_the_rules(world, tmp_path):
    statuses = list(AreaStatus.objects.values_list("commune_id", "effective_to"))
    share_before = law.support_share("CN", dt.date(2025, 12, 1))
    scenario = tmp_path / "scenario.csv"
    scenario.write_text("change,commune,group,share,date\n"
                        "commune_leaves,Xã Bản Hồ,,,2025-11-15\n"
                        "commune_enters,Xã Mường Bo,,,2025-11-01\n"
                        "support_share,,GD,0.5,2025-11-01\n", encoding="utf-8")
    result = forecast_with(area=world["province"], as_of=AS_OF, at=UNTIL, scenario=scenario)
    tried = result["scenario"]
    # Mường Bo back on the list: the Dao resident keeps a state-paid DT card; GD at 50% support halves the bills.
    affected = {r["card_id"]: r for r in tried["affected"]}
    minority = affected[world["cards"]["minority"].id]
    assert minority["premium"] == 0 < minority["premium_before"]
    household = affected[world["cards"]["household"].id]
    assert household["premium"] < household["premium_before"] and "scenario" in household["premium_source"]
    assert tried["residents_affected"] >= 2
    assert list(AreaStatus.objects.values_list("commune_id", "effective_to")) == statuses
    assert law.support_share("CN", dt.date(2025, 12, 1)) == share_before


@pytest.mark.parametrize(("row", "field", "words"), [
    ("commune_leaves,Nowhere,,,2025-11-15", "commune", "Nowhere"),
    ("commune_jumps,Xã Bản Hồ,,,2025-11-15", "change", "'commune_jumps' is not one of"),
    ("support_share,,ZZ,0.5,2025-11-01", "group", "'ZZ' is not a card group code"),
    ("support_share,,GD,1.5,2025-11-01", "share", "between 0 and 1"),
    ("commune_enters,Xã Bản Hồ,,,15/13/2025", "date", "not a date"),
])
def test_bad_scenarios_are_refused_with_row_and_field(world, tmp_path, row, field, words):
    scenario = tmp_path / "scenario.csv"
    scenario.write_text("change,commune,group,share,date\n" + row + "\n", encoding="utf-8")
    with pytest.raises(EverydoorError) as caught:
        forecast_with(area=world["province"], as_of=AS_OF, at=UNTIL, scenario=scenario)
    assert f"scenario.csv: nothing imported; row 1, {field}: " in caught.value.message and words in caught.value.message


def test_the_risk_model_is_trained_versioned_and_orders_the_list(world):
    first = risk.train(as_of=AS_OF)
    second = risk.train(as_of=AS_OF)
    assert (first.version, second.version) == (1, 2) and RiskModel.objects.count() == 2
    assert second.trained_on["periods"] > 100 and 0 < second.trained_on["lapsed"] < second.trained_on["periods"]
    assert second.library.startswith("scikit-learn ") and second.features == list(risk.FEATURES)
    result = lapse_list(area=world["province"], as_of=AS_OF, until=UNTIL)
    assert result["model_version"] == 2
    rows = result["rows"]
    assert rows["risk"].is_between(0, 1).all()
    assert rows["expected_loss"].to_list() == sorted(rows["expected_loss"].to_list(), reverse=True)


def test_scoring_each_distinct_row_once_gives_each_rows_own_prediction(world):
    model = risk.train(as_of=AS_OF)
    regs = registers_read()
    rows = lapse_rows(regs, as_of=AS_OF, until=UNTIL, province="15")
    table = risk.features(regs, rows)
    twice = pl.concat([table, table.reverse()])  # every row shared with another: the dedup has work to do
    own = risk._loaded(model)["estimator"].predict_proba(risk._encode(twice, risk._loaded(model)["categories"]))[:, 1]
    assert table.height > 10 and risk.score(model, twice).tolist() == pytest.approx(own.tolist())


def test_too_little_history_is_a_clear_error(world):
    with pytest.raises(EverydoorError, match="too little history to learn from before 2020-01-01"):
        risk.train(as_of=dt.date(2020, 1, 1))


def test_reminders_are_written_and_audited(world, tmp_path):
    out = tmp_path / "reminders.csv"
    result = runner.invoke(app, ["reminders", "--commune", "Mường Bo", "--as-of", "2025-10-31", "--until",
                                 "2026-01-01", "--out", str(out), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    rows = pl.read_csv(out)
    assert summary["rows"] == rows.height == 3
    assert set(rows["full_name"]) == {"Giàng A Páo", "Giàng Thị Mai", "Lý Văn Sơn"}
    assert rows.columns[:5] == ["full_name", "phone", "household_code", "village", "card_end"]
    assert rows["where_to_pay"].str.contains("Xã Mường Bo").all()
    event = AuditEvent.objects.get(action="export", object_type="reminders")
    assert event.area_code == world["leaving"].code and event.detail["people"] == 3


def test_the_commands_print_one_json_document_or_a_one_line_error(world, tmp_path):
    result = runner.invoke(app, ["lapses", "--area", "Lào Cai", "--as-of", "2025-10-31", "--until", "2026-01-01",
                                 "--json", "--limit", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["total"]["rows"] == len(document["rows"]) and document["model_version"] is None
    result = runner.invoke(app, ["forecast", "--area", "Lào Cai", "--as-of", "2025-10-31", "--at", "2026-01-01",
                                 "--json"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.stdout)["cards"]["expected"] > 0
    result = runner.invoke(app, ["lapses", "--area", "Lào Cai", "--as-of", "2025-10-31", "--until", "2025-10-01"])
    assert result.exit_code == 1 and result.stderr.startswith("error: --until (2025-10-01) must come after")
    out = tmp_path / "list.xlsx"
    result = runner.invoke(app, ["lapses", "--area", "Mường Bo", "--as-of", "2025-10-31", "--out", str(out)],
                           catch_exceptions=False)
    assert result.exit_code == 0 and out.exists()
    assert AuditEvent.objects.filter(action="export", object_type="lapse_list").count() == 1


def test_the_communes_forecasts_add_up_to_the_province(world):
    """Each area's counts come from counts per commune made once (the digests of a province's 118 areas): the
    communes' parts add up to the province's, and a village's are its own."""
    from everydoor.geo.models import AdminUnit
    from everydoor.lapses.forecast import forecast

    regs = registers_read()
    province = world["province"]
    whole = forecast(area=province, as_of=AS_OF, at=UNTIL, regs=regs)
    communes = [forecast(area=c, as_of=AS_OF, at=UNTIL, regs=regs)
                for c in AdminUnit.objects.filter(level="commune", province_code=province.province_code)]
    assert len(communes) >= 2
    assert whole["parts"]["known_valid_on_at"] == sum(c["parts"]["known_valid_on_at"] for c in communes)
    for figure in ("residents", "cards_valid_on_as_of"):
        assert whole[figure] == sum(c[figure] for c in communes) > 0
    village = forecast(area=world["village_a"], as_of=AS_OF, at=UNTIL, regs=regs)
    leaving = forecast(area=world["leaving"], as_of=AS_OF, at=UNTIL, regs=regs)
    assert 0 < village["cards_valid_on_as_of"] <= leaving["cards_valid_on_as_of"]
    # The same figures from registers read again (nothing remembered from the areas before).
    assert forecast(area=world["leaving"], as_of=AS_OF, at=UNTIL, regs=registers_read()) == leaving
