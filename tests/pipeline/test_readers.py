from everydoor.pipeline.columns import POPULATION_COLUMNS, POPULATION_REQUIRED
from everydoor.pipeline.readers import ROW, read_register


def test_csv_is_stripped_with_empty_fields_null_and_invalid_bytes_replaced(tmp_path):
    path = tmp_path / "p.csv"
    text = "\ufeffHọ và tên,Ngày sinh,Dân tộc,Thôn\n Giàng A Páo ,1990,\"\",\"  \"\nM{},1991,,Bản\n".encode()
    path.write_bytes(text.replace(b"{}", b"\xe1\xbb"))  # a cut-off UTF-8 sequence
    frame, headers = read_register(path, POPULATION_COLUMNS, POPULATION_REQUIRED)
    assert headers == ["Họ và tên", "Ngày sinh", "Dân tộc", "Thôn"]
    assert frame.select(ROW, "full_name", "date_of_birth", "ethnicity", "village").rows() == [
        (1, "Giàng A Páo", "1990", None, None), (2, "M\ufffd", "1991", None, "Bản")]
