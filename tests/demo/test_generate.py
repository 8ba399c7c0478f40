"""The demo generator: exact targets re-derived from the files, formats, determinism."""

import json

import polars as pl
import pytest

from everydoor.demo.generate import generate
from everydoor.demo.targets import LAGGING_COMMUNES, province_targets

from .check import CARD_RE, check

SCALE = 0.01
OFFICIAL_RATE = 1_475_810 / 1_673_064


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, scale=SCALE, seed=2025)


def test_files_give_the_exact_targets(demo):
    out, manifest = demo
    expected = province_targets(SCALE)
    found = check(out)
    for key in ("residents", "valid_cards", "valid_cards_year_before", "plan_cards",
                "bao_thang_valid_cards", "bao_thang_valid_cards_year_before", "bao_thang_plan_cards"):
        assert found[key] == expected[key] == manifest["targets"][key], key
    assert found["commune_plan_sum"] == found["unit_plan_sum"] == expected["plan_cards"]
    assert found["communes"] == 99
    assert found["bao_thang_communes"] == ["xabaothang", "xagiaphu", "xatangloong", "xaxuanquang"]
    assert found["quarantined_card_rows"] == manifest["rows"]["card_malformed_rows"] > 0
    assert found["quarantined_population_rows"] == manifest["rows"]["population_malformed_rows"] > 0
    assert found["duplicate_card_rows"] == manifest["rows"]["card_duplicate_rows"] > 0


def test_named_communes_lag_and_xuan_quang_leads(demo):
    coverage = check(demo[0])["coverage_by_commune"]
    for key in LAGGING_COMMUNES:
        assert coverage[key] < OFFICIAL_RATE, key
    assert coverage["xaxuanquang"] > 0.92


def test_formats(demo):
    out, _ = demo
    pop = pl.read_csv(out / "population.csv", infer_schema=False)
    cards = pl.read_csv(out / "cards.csv", infer_schema=False)
    assert pop.columns[:3] == ["personal_id", "full_name", "date_of_birth"]
    assert {"si_code", "card_number", "valid_from", "valid_to", "group_code"} <= set(cards.columns)
    malformed = (
        (pl.col("full_name").fill_null("") == "") | (pl.col("commune") == "Xã Không Tồn Tại")
        | pl.col("date_of_birth").str.ends_with("-02-31")
    )
    ids = pop.filter(pl.col("personal_id").str.contains(r"^\d{12}$") & ~malformed)["personal_id"]
    assert ids.n_unique() == ids.len()
    good = cards.filter(pl.col("card_number").str.contains(CARD_RE))
    assert (good["card_number"].str.slice(5) == good["si_code"]).all()
    assert (good["card_number"].str.slice(0, 2) == good["group_code"]).all()
    assert good["card_number"].str.slice(3, 2).is_in(["10", "15"]).all()
    assert cards["valid_from"].str.contains(r"^\d{2}/\d{2}/\d{4}$").mean() > 0.99
    assert pop["commune"].fill_null("").eq("").mean() == pytest.approx(0.15, abs=0.02)
    assert cards["personal_id"].is_null().mean() == pytest.approx(0.02, abs=0.006)
    assert pop.filter(pl.col("village") == "Thôn Nậm Cang")["address"].str.contains("Xã Liên Minh").any()
    truth = pl.read_csv(out / "truth.csv", infer_schema=False)
    assert truth.select("card_number", "valid_from").is_unique().all()
    assert truth["personal_id"].is_null().any()  # holders absent from the register
    plans = pl.read_csv(out / "plans.csv", infer_schema=False)
    assert plans["decision"].unique().to_list() == ["462/QĐ-BHXH"]


def test_deterministic_for_a_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, scale=0.002, seed=7)
    generate(b, scale=0.002, seed=7)
    generate(c, scale=0.002, seed=8)
    for name in ("population.csv", "cards.csv", "truth.csv", "plans.csv", "agency_units.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "cards.csv").read_bytes() != (c / "cards.csv").read_bytes()
    manifest = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7 and manifest["as_of"] == "2025-10-31"


def test_parquet_registers(tmp_path):
    generate(tmp_path, scale=0.002, fmt="parquet")
    assert (tmp_path / "cards.parquet").exists() and not (tmp_path / "cards.csv").exists()
    assert check(tmp_path)["valid_cards"] == province_targets(0.002)["valid_cards"]


def test_certificates_follow_the_hn_and_cn_holders_and_statuses_the_declassified_communes(demo):
    out, manifest = demo
    certificates = pl.read_csv(out / "certificates.csv", infer_schema_length=0)
    population = pl.read_csv(out / "population.csv", infer_schema_length=0)
    cards = pl.read_csv(out / "cards.csv", infer_schema_length=0)
    assert certificates["valid_to"].unique().to_list() == ["2025-12-31"]
    assert set(certificates["kind"]) == {"poor", "near_poor"}
    assert certificates["household_code"].is_unique().all()
    assert set(certificates["household_code"]) <= set(population["household_id"])
    # Every household of a resident holding an HN card has a poor certificate.
    hn = cards.filter(pl.col("group_code") == "HN").join(population, on="personal_id")["household_id"].unique()
    poor = set(certificates.filter(pl.col("kind") == "poor")["household_code"])
    assert hn.len() > 0 and set(hn) <= poor
    statuses = pl.read_csv(out / "area_statuses.csv", infer_schema_length=0)
    leaving = statuses.filter(pl.col("effective_to").is_not_null())
    assert leaving.height == manifest["rows"]["communes_leaving"] > 0
    assert leaving["effective_to"].unique().to_list() == ["2024-12-31"]
    assert statuses.height > leaving.height and statuses["commune"].is_unique().all()


def test_files_written_by_an_earlier_generator_are_written_again(tmp_path):
    from everydoor.demo.build import _files_ready

    manifest = generate(tmp_path, scale=0.002, seed=7)
    assert _files_ready(tmp_path, 0.002, 7)
    del manifest["files_version"]  # as the generator wrote them before issue 19's import rules
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert not _files_ready(tmp_path, 0.002, 7)
