"""The demo's field stage on a small province: roster file through the real import, managers, targets."""

import polars as pl
import pytest
from django.contrib.auth import get_user_model

from everydoor.accounts.models import Role
from everydoor.campaign.models import Campaign, OfficerAssignment
from everydoor.core.dates import today
from everydoor.demo.field import BASELINE, MUONG_BO_OFFICER, TODAY, field_setup, roster_frame

pytestmark = pytest.mark.django_db


def test_field_setup_writes_and_imports_a_roster_and_allocates(world, tmp_path):
    result = field_setup(out_dir=tmp_path, password="pw", step=lambda _: None)
    roster = pl.read_csv(tmp_path / "officers.csv")
    assert roster.columns == ["username", "full_name", "unit_code", "villages", "phone"]
    assert roster["username"].n_unique() == roster.height == result["officers"]["officers"]
    # every village of a served commune is worked by exactly one officer; 2-4 officers per commune
    # (fewer when it has fewer villages)
    served = [c for c in world["communes"][:3]]
    villages = {v.pk for c in served for v in world["villages"][c.pk]}
    assigned = list(OfficerAssignment.objects.values_list("village_id", flat=True))
    assert sorted(assigned) == sorted(villages)
    User = get_user_model()
    officer = User.objects.get(username=MUONG_BO_OFFICER)
    assert officer.check_password("pw") and officer.profile.role == Role.OFFICER
    managers = {u.username: u for u in User.objects.filter(profile__role=Role.UNIT_MANAGER)}
    assert set(managers) == {"north", "south"} and not managers["north"].has_usable_password()
    campaign = Campaign.objects.get()
    assert (campaign.baseline_date, campaign.decision, str(campaign.goal_rate)) == (BASELINE, "462/QĐ-BHXH", "0.9650")
    assert today() == TODAY
    assert roster_frame().equals(roster_frame())  # same seed, same roster
