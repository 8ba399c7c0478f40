import datetime as dt
import json

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent
from everydoor.cli.app import app
from everydoor.linkage.models import ReviewItem
from everydoor.linkage.quality import dq_lists
from tests import factories

runner = CliRunner()


@pytest.mark.django_db(transaction=True)
def test_link_review_export_and_dq_from_the_cli(register, tmp_path):
    result = runner.invoke(app, ["link", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"cards", "linked_by_id", "linked_probabilistic", "to_review", "unlinked", "duplicates",
            "synced_rate"} <= set(counts)
    listed = json.loads(runner.invoke(app, ["review", "list", "--json"]).stdout.strip().splitlines()[-1])
    assert len(listed) == counts["to_review"]
    item = listed[0]["id"]
    assert runner.invoke(app, ["review", "reject", str(item)]).exit_code == 0
    assert ReviewItem.objects.get(id=item).decision == "rejected"
    again = runner.invoke(app, ["review", "accept", str(item)])
    assert again.exit_code == 1 and "already rejected" in again.output
    out = tmp_path / "links.csv"
    assert runner.invoke(app, ["export", "links", "--out", str(out)]).exit_code == 0
    frame = pl.read_csv(out, infer_schema_length=0)
    assert frame.columns == ["card_number", "si_code", "personal_id", "method", "match_probability"]
    assert frame.height == counts["cards"]
    assert AuditEvent.objects.filter(action="export", object_type="links").exists()
    xlsx = tmp_path / "dq.xlsx"
    commune = register["communes"][0]
    result = runner.invoke(app, ["dq", "--area", commune.code, "--json", "--out", str(xlsx)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["cards"] > 0 and 0 < summary["synced_rate"] <= 1
    assert set(openpyxl.load_workbook(xlsx).sheetnames) == {"unlinked_cards", "missing_id_or_dob",
                                                              "several_valid_cards", "id_contradictions",
                                                              "invalid_fields"}


@pytest.mark.django_db
def test_quality_lists_propose_values_and_find_contradictions():
    com = factories.commune()
    person = factories.person(personal_id="010090123456", com=com, dob=dt.date(1990, 5, 17))
    factories.person(personal_id="010191000001", com=com, full_name="Lò Thị Mai", sex="M",
                     dob=dt.date(1990, 1, 1))  # ID says a woman born 1991
    card = factories.card(personal_id="", com=com, dob=None)
    card.dob_year = 1990
    card.save()
    from everydoor.linkage.models import Link

    Link.objects.create(card=card, person=person, method="manual")
    lists = dq_lists(commune_ids=[com.id], on=dt.date(2025, 6, 1))
    missing = lists["missing_id_or_dob"].row(0, named=True)
    assert (missing["proposed_personal_id"], missing["proposed_dob"]) == ("010090123456", "1990-05-17")
    problems = set(lists["id_contradictions"]["problem"])
    assert problems == {"id_sex_mismatch,id_birth_year_mismatch"}
    assert lists["unlinked_cards"].height == 0
