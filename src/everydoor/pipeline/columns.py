"""The columns of each register and the headers agencies use for them (docs/formats.md)."""

import re

from everydoor.core.text import fold

# canonical name -> headers seen in agency files (compared folded, punctuation removed)
POPULATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "personal_id": ("Số định danh cá nhân", "Số CCCD", "Số ĐDCN", "CCCD", "Số định danh"),
    "full_name": ("Họ và tên", "Họ tên", "name"),
    "date_of_birth": ("Ngày sinh", "Ngày tháng năm sinh", "dob"),
    "sex": ("Giới tính", "gender"),
    "ethnicity": ("Dân tộc",),
    "household_id": ("Mã hộ", "Số hộ", "Mã hộ gia đình", "Số hộ khẩu"),
    "relation_to_head": ("Quan hệ với chủ hộ", "Quan hệ chủ hộ"),
    "village": ("Thôn", "Thôn/Tổ dân phố", "Tổ dân phố", "Thôn/bản", "Thôn/Tổ"),
    "commune": ("Xã", "Xã/Phường", "Phường/Xã", "Xã/Phường/Thị trấn"),
    "province": ("Tỉnh", "Tỉnh/Thành phố", "Tỉnh/TP"),
    "address": ("Địa chỉ", "Địa chỉ thường trú", "Nơi thường trú"),
    "status": ("Tình trạng", "Trạng thái"),
    "status_date": ("Ngày thay đổi", "Ngày thay đổi tình trạng"),
    "phone": ("Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "phone_number"),  # the household's
}
POPULATION_REQUIRED = ("full_name", "date_of_birth")

CARD_COLUMNS: dict[str, tuple[str, ...]] = {
    "si_code": ("Mã số BHXH", "Mã BHXH", "Số sổ BHXH"),
    "card_number": ("Mã thẻ", "Số thẻ BHYT", "Mã thẻ BHYT", "Số thẻ"),
    "personal_id": POPULATION_COLUMNS["personal_id"],
    "full_name": POPULATION_COLUMNS["full_name"],
    "date_of_birth": POPULATION_COLUMNS["date_of_birth"],
    "sex": POPULATION_COLUMNS["sex"],
    "group_code": ("Mã đối tượng", "Mã nhóm", "Đối tượng"),
    "benefit_level": ("Mức hưởng", "Quyền lợi"),
    "valid_from": ("Giá trị từ ngày", "Từ ngày", "Hạn từ"),
    "valid_to": ("Giá trị đến ngày", "Đến ngày", "Hạn đến"),
    "commune": POPULATION_COLUMNS["commune"],
    "province": POPULATION_COLUMNS["province"],
    "address": POPULATION_COLUMNS["address"],
    "clinic_code": ("Mã KCB ban đầu", "Nơi ĐK KCB BĐ", "Mã KCB BĐ", "Nơi đăng ký KCB ban đầu"),
}
CARD_REQUIRED = ("full_name", "valid_from", "valid_to")
CARD_ONE_OF = ("card_number", "si_code")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def header_key(header: str) -> str:
    return _NON_ALNUM.sub("", fold(header))


def header_map(headers: list[str], columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """File header -> canonical column, for the headers we know; first match wins."""
    lookup: dict[str, str] = {}
    for canonical, aliases in columns.items():
        for alias in (canonical, *aliases):
            lookup.setdefault(header_key(alias), canonical)
    mapping: dict[str, str] = {}
    for header in headers:
        canonical = lookup.get(header_key(header))
        if canonical and canonical not in mapping.values():
            mapping[header] = canonical
    return mapping
