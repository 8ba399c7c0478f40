"""A small field world: one commune, two villages, an officer working both, a unit manager."""

import datetime as dt

from everydoor.accounts.models import Role
from everydoor.accounts.services import user_upsert
from everydoor.campaign.models import AgencyUnit, Campaign, OfficerAssignment, Target
from everydoor.coverage.models import CoverageFact
from everydoor.linkage.models import Link
from tests import factories as f

PW = "pw-123456"
TODAY = dt.date(2025, 11, 10)


def build():
    prov = f.province(code="98", name="Tỉnh Thử Nghiệm")
    commune = f.commune("Xã Mường Bo", prov=prov)
    other = f.commune("Xã Bản Lầu", prov=prov)
    nam_cang, ta_phin = f.village("Thôn Nậm Cang", com=commune), f.village("Thôn Tả Phìn", com=commune)
    far = f.village("Thôn Xa", com=other)
    households = [f.household(commune, nam_cang, code=f"HH-NC-{i}") for i in (1, 2, 3)]
    insured_home = f.household(commune, nam_cang, code="HH-NC-9")  # everyone insured: not on the work list
    households[0].phone = "0912345678"
    households[0].save()
    people = {
        "pao": f.person(full_name="Giàng A Páo", hh=households[0], relation_to_head="Chủ hộ"),
        "mai": f.person(full_name="Sùng Thị Mai", hh=households[0], dob=dt.date(1992, 3, 1), sex="F"),
        "child": f.person(full_name="Giàng A Lử", hh=households[0], dob=dt.date(2022, 6, 1)),
        "on": f.person(full_name="Lò Văn Ơn", hh=households[1], ethnicity="Kinh"),
        "sinh": f.person(full_name="Vàng Seo Sinh", hh=households[2]),
        "far": f.person(full_name="Hoàng Văn Xa", hh=f.household(other, far, code="HH-X-1")),
    }
    insured = f.card(full_name="Giàng A Páo", group_code="GD", valid_from=dt.date(2025, 1, 1),
                     valid_to=dt.date(2025, 12, 31))
    Link.objects.create(card=insured, person=people["pao"], method="personal_id")
    lapsed = f.card(full_name="Sùng Thị Mai", group_code="GD", valid_from=dt.date(2024, 1, 1),
                    valid_to=dt.date(2024, 12, 31))
    Link.objects.create(card=lapsed, person=people["mai"], method="personal_id")
    Link.objects.create(card=f.card(full_name="Lý Thị Đủ"), method="personal_id",
                        person=f.person(full_name="Lý Thị Đủ", hh=insured_home))
    unit = AgencyUnit.objects.create(code="BHXH-MB", name="BHXH Mường Bo", province=prov)
    unit.communes.set([commune])
    officer = user_upsert(username="can_bo", password=PW, role=Role.OFFICER, area=commune, agency_unit=unit)
    for village in (nam_cang, ta_phin):
        OfficerAssignment.objects.create(officer=officer, village=village, valid_from=dt.date(2025, 1, 1))
    _campaign(prov, commune, (nam_cang, ta_phin), officer)
    manager = user_upsert(username="quan_ly", password=PW, role=Role.UNIT_MANAGER, area=commune, agency_unit=unit)
    other_manager = user_upsert(username="quan_ly_khac", password=PW, role=Role.UNIT_MANAGER, area=other)
    return {"prov": prov, "commune": commune, "other": other, "villages": (nam_cang, ta_phin), "far": far,
            "households": households, "insured_home": insured_home, "people": people, "officer": officer, "manager": manager,
            "other_manager": other_manager}


def household_in(village, code):
    """One more household of a village, with one resident without a card."""
    home = f.household(village.parent, village, code=code)
    f.person(full_name="Thào A Sử", hh=home)
    return home


def _campaign(prov, commune, villages, officer):
    """A campaign whose tree gives the officer 4 + 2 cards to gain, on coverage facts of 2025-10-31."""
    baseline = dt.date(2025, 10, 31)
    campaign = Campaign.objects.create(area=prov, goal_rate="0.9650", due=dt.date(2025, 12, 31), decision="462/QĐ-BHXH",
                                       baseline_date=baseline, baseline_cards=2, baseline_residents=7,
                                       created_by="test")
    top = Target.objects.create(campaign=campaign, level="province", area=prov, value=6, set_by="test")
    node = Target.objects.create(campaign=campaign, parent=top, level="commune", area=commune, value=6, set_by="test")
    for village, value in zip(villages, (4, 2), strict=True):
        place = Target.objects.create(campaign=campaign, parent=node, level="village", area=village, value=value,
                                      set_by="test")
        Target.objects.create(campaign=campaign, parent=place, level="officer", area=village, officer=officer,
                              value=value, set_by="test")
    CoverageFact.objects.bulk_create([CoverageFact(as_of=baseline, level=level, area_code=unit.code, residents=7,
                                                   insured_residents=2, cards=2)
                                      for level, unit in (("province", prov), ("commune", commune),
                                                          ("village", villages[0]))])
