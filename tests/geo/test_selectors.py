import pytest

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import area_resolve, communes_in
from everydoor.geo.services import village_get_or_create_bulk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["Lào Cai", "lao cai", "Tỉnh Lào Cai", "tinh lao cai", "15", "T. Lào Cai"])
def test_province(units, text):
    assert area_resolve(text).code == "15"


@pytest.mark.parametrize("text", ["Mường Bo", "Muong Bo", "muong bo", "Xã Mường Bo", "X. Muong Bo", "03043", "3043",
                                  "Mường Bo, Lào Cai", "Xa Muong Bo, Tinh Lao Cai", "Mường Bo, 15"])
def test_commune(units, text):
    assert area_resolve(text).code == "03043"


def test_higher_level_wins_unless_the_prefix_says_otherwise(units):
    assert area_resolve("Lào Cai").level == "province"
    phuong = area_resolve("Phường Lào Cai")
    assert (phuong.level, phuong.code) == ("commune", "02647")
    assert area_resolve("Lào Cai, Lào Cai").code == "02647"  # a commune named inside its province


def test_prefix_word_inside_the_name(units):
    assert area_resolve("Bản Lầu").name == "Xã Bản Lầu"


def test_city_aliases(units):
    assert area_resolve("TP.HCM").code == "79"
    assert area_resolve("Thành phố Hồ Chí Minh").code == "79"


def test_ambiguous_name_lists_candidates_with_their_province(units):
    with pytest.raises(EverydoorError) as err:
        area_resolve("Tân Thành")
    assert err.value.code == ErrorCode.AMBIGUOUS
    assert "Tỉnh Lạng Sơn" in err.value.message and "Tỉnh Thái Nguyên" in err.value.message
    assert area_resolve("Tân Thành, Lạng Sơn").code == "06445"


def test_diacritics_decide_between_names_that_fold_alike(units):
    assert area_resolve("Văn Lăng, Thái Nguyên").name == "Xã Văn Lăng"
    assert area_resolve("Văn Lang, Thái Nguyên").name == "Xã Văn Lang"
    with pytest.raises(EverydoorError) as err:
        area_resolve("Van Lang, Thai Nguyen")
    assert err.value.code == ErrorCode.AMBIGUOUS


def test_not_found_explains(units):
    with pytest.raises(EverydoorError) as err:
        area_resolve("Atlantis")
    assert err.value.code == ErrorCode.NOT_FOUND and "Atlantis" in err.value.message
    with pytest.raises(EverydoorError) as err:
        area_resolve("Xã Liên Minh, Lào Cai")
    assert err.value.code == ErrorCode.NOT_FOUND
    assert "now Xã Mường Bo" in err.value.message
    with pytest.raises(EverydoorError) as err:
        area_resolve("Mường Bo, Thái Nguyên")  # a province mismatch is not silently ignored
    assert err.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(EverydoorError) as err:
        area_resolve("99999")
    assert err.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(EverydoorError) as err:
        area_resolve("  ")
    assert err.value.code == ErrorCode.INVALID_INPUT


def test_villages_and_communes_in(units):
    muong_bo = AdminUnit.objects.get(code="03043")
    village_get_or_create_bulk([(muong_bo.id, "Thôn Nậm Cang")])
    village = area_resolve("Thôn Nậm Cang, Mường Bo, Lào Cai")
    assert (village.level, village.parent_id) == ("village", muong_bo.id)
    assert area_resolve("Nậm Cang") == village  # no province or commune has that name
    assert list(communes_in(village)) == [muong_bo]
    assert list(communes_in(muong_bo)) == [muong_bo]
    lao_cai = communes_in(area_resolve("Lào Cai"))
    assert lao_cai.count() == 99 and muong_bo in lao_cai
