"""Vietnamese text normalisation shared by address resolution, area look-up and linkage."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Administrative-unit prefixes as they appear in addresses and area names.
UNIT_PREFIXES = (
    "thanh pho", "tinh", "thi xa", "thi tran", "huyen", "quan", "phuong", "xa", "dac khu",
    "thon", "ban", "to dan pho", "to", "khu pho", "khu", "xom", "ap", "lang",
)
_PREFIX_RE = re.compile(r"^(?:" + "|".join(p.replace(" ", r"\s+") for p in UNIT_PREFIXES) + r")\s+")


def strip_diacritics(text: str) -> str:
    """'Mường Bo' -> 'Muong Bo'; đ/Đ are letters of their own, not combining marks."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str | None) -> str:
    """Lower case, no diacritics, single spaces: the comparison form of any name."""
    if not text:
        return ""
    return _SPACES.sub(" ", strip_diacritics(unicodedata.normalize("NFC", text)).lower()).strip()


def unit_key(text: str | None) -> str:
    """Folded name without its unit prefix and spaces: 'Xã Mường Bo' -> 'muongbo'."""
    folded = fold(text).replace(".", " ").replace("-", " ")
    folded = _SPACES.sub(" ", folded).strip()
    folded = _PREFIX_RE.sub("", folded)
    return folded.replace(" ", "")


def full_key(text: str | None) -> str:
    """Folded name with its prefix, no spaces: 'Xã Mường Bo' -> 'xamuongbo' (the package's keys)."""
    return fold(text).replace(" ", "").replace(".", "").replace("-", "")
