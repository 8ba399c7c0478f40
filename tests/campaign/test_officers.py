"""Officers imported from real CSV and XLSX files: all rows or none, dated assignments."""

import datetime as dt

import polars as pl
import pytest
from django.contrib.auth import get_user_model

from everydoor.accounts.models import AuditEvent, Profile, Role
from everydoor.campaign.models import OfficerAssignment
from everydoor.campaign.officers import officers_import
from everydoor.campaign.selectors import officer_villages, village_officers
from everydoor.core.errors import EverydoorError
from tests.campaign.conftest import BASELINE, ROSTER_HEADER, roster

pytestmark = pytest.mark.django_db
User = get_user_model()


def write(tmp_path, text, name="officers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_creates_officers_with_their_villages_and_no_password(world, tmp_path):
    result = officers_import(write(tmp_path, roster(world)), as_of=BASELINE, actor="test")
    assert {k: result[k] for k in ("officers", "created", "updated", "assignments_opened", "assignments_closed",
                                   "passwords_to_set")} == {
        "officers": 4, "created": 4, "updated": 0, "assignments_opened": 2 + 4 + 1 + 1, "assignments_closed": 0,
        "passwords_to_set": 4}
    bo, bt, gp = world["communes"][:3]
    binh = User.objects.get(username="thibinh")
    assert not binh.has_usable_password()
    assert (binh.profile.role, binh.profile.agency_unit.code, binh.profile.area, binh.profile.full_name,
            binh.profile.phone) == (Role.OFFICER, "BHXH-NORTH", world["province"], "Lò Thị Bình", "0912000002")
    # a commune code stands for all its villages
    expected = {world["villages"][bo.pk][0].pk} | {v.pk for v in world["villages"][bt.pk]}
    assert set(officer_villages(binh, on=BASELINE).values_list("pk", flat=True)) == expected
    assert village_officers(world["villages"][bo.pk][0], on=BASELINE) == sorted(
        User.objects.filter(username__in=["vanan", "thibinh"]).values_list("pk", flat=True))
    assert officer_villages(binh, on=BASELINE - dt.timedelta(days=1)).count() == 0
    event = AuditEvent.objects.get(action="import", object_type="officers")
    assert event.detail["officers"] == 4 and event.actor == "test"


def test_the_same_roster_from_an_xlsx_file(world, tmp_path):
    csv = write(tmp_path, roster(world))
    xlsx = tmp_path / "officers.xlsx"
    pl.read_csv(csv, infer_schema_length=0).write_excel(xlsx)
    result = officers_import(xlsx, as_of=BASELINE, actor="test")
    assert (result["officers"], result["assignments_opened"]) == (4, 8)
    assert Profile.objects.get(user__username="vanan").phone == "0912000001"


def test_reimport_closes_what_is_no_longer_listed_and_opens_what_is_new(world, officers, tmp_path):
    bo, bt = world["communes"][:2]
    v = world["villages"]
    later = dt.date(2025, 11, 3)
    # An moves from Mường Bo's second village to Bảo Thắng's second; Cường leaves the roster.
    text = roster(world).replace(f"{v[bo.pk][0].code};{v[bo.pk][1].code},0912000001",
                                 f"{v[bo.pk][0].code};{v[bt.pk][1].code},0912000009")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("vancuong")) + "\n"
    result = officers_import(write(tmp_path, text, "again.csv"), as_of=later, actor="test")
    assert (result["created"], result["updated"], result["assignments_opened"], result["assignments_closed"]) == (
        0, 3, 1, 2)
    an, cuong = User.objects.get(username="vanan"), User.objects.get(username="vancuong")
    assert set(officer_villages(an, on=later)) == {v[bo.pk][0], v[bt.pk][1]}
    assert set(officer_villages(an, on=later - dt.timedelta(days=1))) == {v[bo.pk][0], v[bo.pk][1]}
    closed = OfficerAssignment.objects.get(officer=an, village=v[bo.pk][1])
    assert (closed.valid_from, closed.valid_to) == (BASELINE, dt.date(2025, 11, 2))
    assert officer_villages(cuong, on=later).count() == 0 and officer_villages(cuong, on=BASELINE).count() == 1
    assert an.profile.__class__.objects.get(user=an).phone == "0912000009"
    # the same file again the same day changes nothing
    again = officers_import(write(tmp_path, text, "again.csv"), as_of=later, actor="test")
    assert (again["assignments_opened"], again["assignments_closed"]) == (0, 0)


@pytest.mark.parametrize(("line", "message"), [
    (",Nguyễn Văn Em,BHXH-NORTH,{bo},", "officers.csv row 6, username: empty"),
    ("vanan,Nguyễn Văn Em,BHXH-NORTH,{bo},", "officers.csv row 6, username: 'vanan' is also on row 2"),
    ("vanem,Nguyễn Văn Em,BHXH-EAST,{bo},", "officers.csv row 6, unit_code: no agency unit has the code 'BHXH-EAST'"),
    ("vanem,Nguyễn Văn Em,BHXH-NORTH,{bo};99999-9,", "officers.csv row 6, villages: no village or commune has the code '99999-9'"),
    ("vanem,Nguyễn Văn Em,BHXH-NORTH,,", "officers.csv row 6, villages: empty"),
    ("vanem,Nguyễn Văn Em,BHXH-SOUTH,{bo},", "officers.csv row 6, villages: '{bo}' is not in a commune that BHXH-SOUTH serves"),
])
def test_a_bad_row_names_file_row_and_field_and_nothing_is_written(world, tmp_path, line, message):
    bo = world["communes"][0].code
    path = write(tmp_path, roster(world) + line.format(bo=bo) + "\n")
    with pytest.raises(EverydoorError) as exc:
        officers_import(path, as_of=BASELINE, actor="test")
    assert message.format(bo=bo) in exc.value.message
    assert not User.objects.exists() and not OfficerAssignment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_account_of_another_role_is_not_turned_into_an_officer(world, tmp_path):
    from everydoor.accounts.services import user_upsert

    user_upsert(username="vanan", password="x", role=Role.PROVINCE, area=world["province"])
    with pytest.raises(EverydoorError, match="row 2, username: 'vanan' is a province account, not an officer"):
        officers_import(write(tmp_path, roster(world)), as_of=BASELINE, actor="test")
    assert Profile.objects.get(user__username="vanan").role == Role.PROVINCE


def test_missing_columns_and_missing_file(world, tmp_path):
    with pytest.raises(EverydoorError, match="officers.csv: missing column.s. villages"):
        officers_import(write(tmp_path, "username,full_name,unit_code\nx,y,z\n"), as_of=BASELINE, actor="t")
    with pytest.raises(EverydoorError, match="no such file"):
        officers_import(tmp_path / "none.csv", as_of=BASELINE, actor="t")
    with pytest.raises(EverydoorError, match="no officers"):
        officers_import(write(tmp_path, ROSTER_HEADER, "empty.csv"), as_of=BASELINE, actor="t")
