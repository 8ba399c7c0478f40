import pytest

from everydoor.core.text import bare_key, fold, full_key, name_form, split_unit_prefix, unit_key


@pytest.mark.parametrize(("text", "prefix", "key"), [
    ("Xã Mường Bo", "xa", "muongbo"),
    ("Muong Bo", "", "muongbo"),
    ("TX. Sa Pa", "thi xa", "sapa"),
    ("Thị xã Sa Pa", "thi xa", "sapa"),
    ("H. Bắc Hà", "huyen", "bacha"),
    ("X.Liên Minh", "xa", "lienminh"),
    ("TP.HCM", "thanh pho", "hcm"),
    ("P.01", "phuong", "1"),
    ("Phường 1", "phuong", "1"),
    ("Q1", "quan", "1"),
    ("Tỉnh Bà Rịa - Vũng Tàu", "tinh", "bariavungtau"),
    ("Xã Ea H’leo", "xa", "eahleo"),
    ("Xã Chân Mây – Lăng Cô", "xa", "chanmaylangco"),
    ("Đặc khu Côn Đảo", "dac khu", "condao"),
    ("Tổ dân phố 5", "to dan pho", "5"),
    ("", "", ""),
    (None, "", ""),
])
def test_split_unit_prefix(text, prefix, key):
    assert split_unit_prefix(text) == (prefix, key)
    assert unit_key(text) == key


def test_bare_key_keeps_a_prefix_word_that_is_part_of_the_name():
    assert unit_key("Bản Lầu") == "lau"
    assert bare_key("Bản Lầu") == "banlau" == unit_key("Xã Bản Lầu")


def test_name_form_tells_apart_names_that_fold_alike():
    assert unit_key("Xã Văn Lăng") == unit_key("Xã Văn Lang")
    assert name_form("Xã Văn Lăng") == "vănlăng" != name_form("Văn Lang")


def test_fold_and_full_key():
    assert fold("  Mường   Bo ") == "muong bo"
    assert fold("Ea H’leo") == "ea h'leo"
    assert full_key("Xã Mường Bo") == "xamuongbo"
    assert full_key("Xã Ea H’leo") == "xaeahleo"
