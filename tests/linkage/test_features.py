import polars as pl

from everydoor.linkage.features import id_contradictions, name_columns, name_forms
from everydoor.linkage.thresholds import choose_thresholds


def test_ethnic_minority_spelling_variants_meet():
    assert name_forms("Giàng A Páo")["name_phon"] == name_forms("Dàng A Pao")["name_phon"]
    assert name_forms("Sùng Seo Chứ")["name_phon"] == name_forms("Xùng Sểnh Trứ")["name_phon"]
    assert name_forms("Thị Mai Lò")["name_sorted"] == name_forms("Lò  Thị MAI")["name_sorted"]
    assert name_forms("Giàng A Páo")["name_phon"] != name_forms("Giàng A Chứ")["name_phon"]


def test_polars_forms_equal_python_forms():
    names = ["Giàng A Páo", "  Xùng  Sểnh Trứ ", "Nguyễn Văn Đức", "LÒ THỊ MỶ"]
    frame = name_columns(pl.DataFrame({"full_name": names}))
    for row, name in zip(frame.iter_rows(named=True), names, strict=True):
        assert {k: row[k] for k in ("name_lc", "name_fold", "name_sorted", "name_phon")} == name_forms(name)


def test_id_contradictions():
    assert id_contradictions("010090123456", "M", 1990) == []
    assert id_contradictions("010390123456", "F", 2090) == []
    assert id_contradictions("010190123456", "M", 1991) == ["id_sex_mismatch", "id_birth_year_mismatch"]
    assert id_contradictions("12345", "M", 1990) == []


def test_thresholds_come_from_the_data_not_one_half():
    best = pl.DataFrame({"match_probability": [0.99, 0.95, 0.9, 0.3, 0.2, 0.1],
                         "correct": [True, True, True, True, False, False]})
    lower, upper = choose_thresholds(best, n_cards=4)
    assert 0.2 < upper <= 0.3
    assert lower <= upper
