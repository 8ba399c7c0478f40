"""A small village built with the factories: households whose standing on AS_OF is known by construction."""

import datetime as dt
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from everydoor.accounts.models import Profile
from everydoor.campaign.models import OfficerAssignment
from everydoor.linkage.models import Link
from everydoor.registry.models import HouseholdCertificate
from tests import factories as f

AS_OF = dt.date(2025, 11, 3)
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def linked_card(person, *, group="DT", valid_from=YEAR[0], valid_to=YEAR[1], com=None):
    card = f.card(group_code=group, valid_from=valid_from, valid_to=valid_to, full_name=person.full_name,
                  dob=person.dob, personal_id=person.personal_id or "", com=com or person.commune)
    Link.objects.create(card=card, person=person, method=Link.Method.PERSONAL_ID)
    return card


def officer(username="officer1", villages=(), since=dt.date(2025, 1, 1)):
    user = get_user_model().objects.create_user(username=username, password="x" * 12)
    Profile.objects.create(user=user, role="officer")
    for village in villages:
        OfficerAssignment.objects.create(officer=user, village=village, valid_from=since)
    return user


def build():
    """Households a..e in one village, one in another village; returns them and their people."""
    prov = f.province()
    com = f.commune("Xã Mường Bo")
    vil = f.village("Thôn Nậm Cang", com)
    other_vil = f.village("Thôn Bản Khoang", com)
    other_prov_commune = f.commune("Xã Khác", prov=f.province(code="10", name="Tỉnh Khác"))
    w = SimpleNamespace(province=prov, commune=com, village=vil, other_village=other_vil)
    n = iter(range(100, 999))

    def pid():
        return f"0101{next(n):08d}"

    # a: head insured (DT), wife lapsed on 2025-08-31, son (adult) never enrolled, daughter aged 3 never enrolled
    w.a = f.household(com, vil, code="HH-A")
    w.a_head = f.person(full_name="Giàng A Páo", dob=dt.date(1980, 1, 1), personal_id=pid(), hh=w.a,
                        relation_to_head="Chủ hộ")
    linked_card(w.a_head)
    w.a_wife = f.person(full_name="Lò Thị Mai", dob=dt.date(1982, 3, 3), sex="F", personal_id=pid(), hh=w.a)
    w.a_wife_card = linked_card(w.a_wife, group="GD", valid_from=dt.date(2024, 9, 1), valid_to=dt.date(2025, 8, 31))
    w.a_son = f.person(full_name="Giàng A Sử", dob=dt.date(2004, 6, 1), personal_id=pid(), hh=w.a)
    w.a_child = f.person(full_name="Giàng Thị Dua", dob=dt.date(2022, 5, 5), sex="F", personal_id=pid(), hh=w.a)
    # b: near-poor household; one card in another province, one card never linked, one expiring in 20 days
    w.b = f.household(com, vil, code="HH-B")
    HouseholdCertificate.objects.create(household=w.b, kind="near_poor", valid_from=dt.date(2025, 1, 1))
    w.b_away = f.person(full_name="Sùng A Lử", dob=dt.date(1975, 2, 2), personal_id=pid(), hh=w.b,
                        ethnicity="Kinh")
    linked_card(w.b_away, group="GD", com=other_prov_commune)
    w.b_unlinked = f.person(full_name="Sùng Thị Pằng", dob=dt.date(1978, 2, 2), sex="F", personal_id=pid(),
                            hh=w.b, ethnicity="Kinh")
    f.card(group_code="GD", personal_id=w.b_unlinked.personal_id, full_name=w.b_unlinked.full_name,
           dob=w.b_unlinked.dob, com=com)
    w.b_expiring = f.person(full_name="Sùng A Tủa", dob=dt.date(2000, 2, 2), personal_id=pid(), hh=w.b,
                            ethnicity="Kinh")
    linked_card(w.b_expiring, group="GD", valid_from=dt.date(2024, 11, 24), valid_to=dt.date(2025, 11, 23))
    # c: everyone insured for long: not listed
    w.c = f.household(com, vil, code="HH-C")
    linked_card(f.person(full_name="Vàng A Chứ", personal_id=pid(), hh=w.c))
    # d: one never enrolled; e: one never enrolled, plus a resident who moved out and one the field corrected
    w.d = f.household(com, vil, code="HH-D")
    w.d_one = f.person(full_name="Thào A Dình", dob=dt.date(1990, 1, 1), personal_id=pid(), hh=w.d)
    w.e = f.household(com, vil, code="HH-E")
    w.e_one = f.person(full_name="Hầu A Lềnh", dob=dt.date(1991, 1, 1), personal_id=pid(), hh=w.e)
    f.person(full_name="Hầu A Đi", personal_id=pid(), hh=w.e, status="moved_out", status_date=dt.date(2025, 1, 1))
    f.person(full_name="Hầu A Vắng", personal_id=pid(), hh=w.e, field_status="moved_away",
             field_status_date=dt.date(2025, 10, 10))
    # the other village: one uninsured household
    w.f = f.household(com, other_vil, code="HH-F")
    w.f_one = f.person(full_name="Ma A Phình", dob=dt.date(1985, 1, 1), personal_id=pid(), hh=w.f)
    return w
