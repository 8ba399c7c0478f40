"""Vietnamese full names ("Họ Đệm Tên") drawn to match ethnicity and sex, and name defects.

Pools are short, hand-written lists of common syllables per ethnic group; drawing is
vectorised (one choice per pool and group, never per person in Python).
"""

from __future__ import annotations

import numpy as np
import polars as pl

# ethnicity -> (surnames, male middle names, female middle names, male given, female given)
POOLS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Kinh": (
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương",
         "Lý", "Đinh", "Hà", "Lương", "Phan", "Trịnh", "Đào", "Mai", "Cao"),
        ("Văn", "Đức", "Minh", "Quang", "Xuân", "Hữu", "Tiến", "Thanh", "Ngọc", "Công"),
        ("Thị", "Thị", "Thu", "Thanh", "Ngọc", "Minh", "Phương", "Bích", "Hồng", "Thùy"),
        ("Hùng", "Dũng", "Tuấn", "Hải", "Long", "Nam", "Sơn", "Quân", "Thắng", "Hoàng", "Đức",
         "Trung", "Kiên", "Phong", "Huy", "Minh", "Cường", "Bình", "An", "Khánh"),
        ("Lan", "Hương", "Hoa", "Mai", "Linh", "Trang", "Hà", "Thảo", "Ngọc", "Yến", "Hằng",
         "Nhung", "Huyền", "Phương", "Thủy", "Loan", "Dung", "Hạnh", "Anh", "Vân"),
    ),
    "Mông": (
        ("Giàng", "Sùng", "Vàng", "Lý", "Thào", "Hầu", "Mùa", "Lù", "Hạng", "Cứ", "Vừ", "Sình",
         "Tráng", "Mua"),
        ("A", "Seo", "A", "Văn", "Chứ"),
        ("Thị", "Seo", "Thị", "Thị"),
        ("Páo", "Dín", "Chứ", "Sử", "Pó", "Cở", "Tủa", "Dế", "Lử", "Chống", "Sinh", "Phừ",
         "Vảng", "Chá", "Nủ", "Súa"),
        ("Mai", "Mỷ", "Dở", "Sua", "Chá", "Mỵ", "Dua", "Súa", "Pà", "Lan", "Xua", "Sính", "Máy",
         "Dợ"),
    ),
    "Dao": (
        ("Bàn", "Triệu", "Đặng", "Lý", "Chảo", "Phàn", "Tẩn", "Phùng", "Sần", "Lò"),
        ("Văn", "Seo", "A", "Kim", "Láo", "Văn"),
        ("Thị", "Mẩy", "Nái", "Thị", "Xuân"),
        ("Chài", "Lở", "Phin", "Quẩy", "Tả", "Sơn", "Vần", "Dào", "Nhất", "Kiềm", "Lìn", "Sáng"),
        ("Mẩy", "Phau", "Sử", "Tả", "Chạ", "Nhàn", "Xuân", "Mai", "Liều", "Quẩy", "Nay"),
    ),
    "Tày": (
        ("Hoàng", "Nông", "Lục", "Ma", "Hà", "Lương", "La", "Vi", "Đàm", "Hứa", "Triệu",
         "Nguyễn", "Lường"),
        ("Văn", "Văn", "Đức", "Thế"),
        ("Thị", "Thị", "Thu"),
        ("Tiến", "Thắng", "Quang", "Hùng", "Sinh", "Dũng", "Hải", "Chiến", "Thành", "Toàn"),
        ("Nguyệt", "Hoa", "Lan", "Thơm", "Huệ", "Nga", "Phượng", "Mai", "Thoa", "Chiêm"),
    ),
    "Thái": (
        ("Lò", "Lường", "Cầm", "Hà", "Điêu", "Quàng", "Tòng", "Lù", "Vì", "Lèo"),
        ("Văn",),
        ("Thị",),
        ("Pằn", "Xuân", "Ơn", "Thành", "Hùng", "Khăm", "Inh", "Panh", "Tươi"),
        ("Ơn", "Xuân", "Biên", "Pâng", "Ín", "Hiên", "Ngọc", "Tiên"),
    ),
    "Giáy": (
        ("Hoàng", "Lù", "Vương", "Lồ", "Lò", "Sằn"),
        ("Văn",), ("Thị",),
        ("Chính", "Pao", "Tuấn", "Sài", "Diu"),
        ("Nhuần", "Lan", "Dung", "Phương", "Sìu"),
    ),
    "Nùng": (
        ("Hoàng", "Nông", "Lương", "Vi", "Chu", "Lù", "Sần", "Tẩn"),
        ("Văn", "Seo"), ("Thị",),
        ("Páo", "Thống", "Minh", "Ngàn", "Sáng"),
        ("Pà", "Lìu", "Dung", "Mỷ", "Sen"),
    ),
    "Hà Nhì": (
        ("Ly", "Chu", "Pờ", "Phu", "Ma", "Chù", "Lý"),
        ("Xá", "Gạ", "Mố", "Lé"), ("Mé", "Xá", "Lù"),
        ("Lò", "Chừ", "Phạ", "Sơn", "Giờ"),
        ("Mé", "Gió", "Xé", "Chà"),
    ),
    "Phù Lá": (
        ("Lù", "Sần", "Pờ", "Hoàng", "Tráng", "Vàng"),
        ("Văn",), ("Thị",),
        ("Sinh", "Cháng", "Dín", "Sáo"),
        ("Dế", "Chín", "Mỷ", "Sen"),
    ),
    "Xa Phó": (
        ("Phàn", "Lò", "Sần", "Lù"),
        ("Văn",), ("Thị",),
        ("Tiến", "Phúc", "Sơn"),
        ("Mai", "Phin", "Hoa"),
    ),
    "Mường": (
        ("Đinh", "Quách", "Bạch", "Hà", "Bùi", "Xa"),
        ("Văn", "Công"), ("Thị",),
        ("Thắng", "Hùng", "Mạnh", "Chiến"),
        ("Hoa", "Lan", "Thắm", "Hường"),
    ),
}

# Spelling variants clerks produce for minority names (diacritics lost or c/s/x confused).
SPELLING_VARIANTS = {
    "Giàng": "Giang", "Sùng": "Xùng", "Páo": "Pao", "Vàng": "Vang", "Thào": "Thao",
    "Mỷ": "Mỉ", "Dín": "Dìn", "Chảo": "Chao", "Tẩn": "Tần", "Phàn": "Phan", "Sình": "Xình",
    "Súa": "Xúa", "Seo": "Xeo", "Mẩy": "Mảy", "Lù": "Lu", "Hầu": "Hâu", "Sử": "Xử",
}


def draw_part(ethnicity_idx: np.ndarray, male: np.ndarray, part: int, ethnicities: tuple[str, ...],
              rng: np.random.Generator) -> pl.Series:
    """Draw one name part (0 surname, 1 middle, 2 given) for every person, as indices into
    one flat pool per part (no Python work per person)."""
    flat: list[str] = []
    offsets = np.zeros((len(ethnicities), 2), dtype=np.int64)
    sizes = np.zeros((len(ethnicities), 2), dtype=np.int64)
    for e, name in enumerate(ethnicities):
        pools = POOLS[name]
        for sex, is_male in enumerate((True, False)):
            pool = pools[0] if part == 0 else pools[part * 2 - 1 + (0 if is_male else 1)]
            offsets[e, sex], sizes[e, sex] = len(flat), len(pool)
            flat.extend(pool)
    sex = (~np.asarray(male, dtype=bool)).astype(np.int64)
    e = np.asarray(ethnicity_idx, dtype=np.int64)
    pick = offsets[e, sex] + (rng.random(len(e)) * sizes[e, sex]).astype(np.int64)
    return pl.Series(flat, dtype=pl.String).gather(pick)


def strip_expr(column: str) -> pl.Expr:
    """Names without diacritics ('Đặng Thị Mẩy' -> 'Dang Thi May'), in Polars."""
    return (
        pl.col(column).str.replace_all("đ", "d").str.replace_all("Đ", "D")
        .str.normalize("NFD").str.replace_all(r"\p{Mn}", "")
    )


def misspell_expr(column: str) -> pl.Expr:
    """Minority spelling variants, word by word."""
    return pl.col(column).str.replace_many(SPELLING_VARIANTS)
