"""Vietnamese text normalisation shared by address resolution, area look-up and linkage."""

import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Typographic apostrophes and dashes seen in official names ("Ea H’leo", "Chân Mây – Lăng Cô").
_PUNCT = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "–": "-", "—": "-", "‐": "-"})
# Administrative-unit prefixes as they appear in addresses and area names (folded form).
UNIT_PREFIXES = (
    "thanh pho", "tinh", "thi xa", "thi tran", "huyen", "quan", "phuong", "xa", "dac khu",
    "thon", "ban", "to dan pho", "to", "khu pho", "khu", "xom", "ap", "lang",
)
_PREFIX_RE = re.compile(r"^(" + "|".join(p.replace(" ", r"\s+") for p in UNIT_PREFIXES) + r")\s+")
# Abbreviated prefixes ("TX. Sa Pa", "TP.HCM", "X.Liên Minh", "Q1"), matched on the folded text.
ABBREVIATIONS = {
    "tp": "thanh pho", "tx": "thi xa", "tt": "thi tran", "tdp": "to dan pho",
    "h": "huyen", "q": "quan", "p": "phuong", "x": "xa", "t": "tinh", "dk": "dac khu",
}
_ABBREV_RE = re.compile(r"^(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?:\.\s*|\s+|(?=\d))")


def strip_diacritics(text: str) -> str:
    """'Mường Bo' -> 'Muong Bo'; đ/Đ are letters of their own, not combining marks."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str | None) -> str:
    """Lower case, no diacritics, single spaces: the comparison form of any name."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_PUNCT)
    return _SPACES.sub(" ", strip_diacritics(text).lower()).strip()


@functools.lru_cache(maxsize=1 << 16)  # names repeat: registers, lineage, addresses
def _aligned(text: str) -> tuple[str, str]:
    """(lower case with diacritics, folded), character by character aligned; '.', '-' as spaces."""
    raw = unicodedata.normalize("NFC", text).translate(_PUNCT).lower()
    raw = _SPACES.sub(" ", raw.replace(".", " ").replace("-", " ").replace("'", "")).strip()
    folded = strip_diacritics(raw)
    if len(folded) != len(raw):  # a character outside Vietnamese: give up the alignment
        raw = folded
    return raw, folded


@functools.lru_cache(maxsize=1 << 16)
def _parse(text: str | None) -> tuple[str, str, str]:
    """(prefix, rest with diacritics, rest folded) of a unit name."""
    raw, folded = _aligned(text or "")
    abbreviation = _ABBREV_RE.match(folded)
    if abbreviation:
        return ABBREVIATIONS[abbreviation.group(1)], raw[abbreviation.end():], folded[abbreviation.end():]
    match = _PREFIX_RE.match(folded)
    if match:
        return _SPACES.sub(" ", match.group(1)), raw[match.end():], folded[match.end():]
    return "", raw, folded


def _squash(words: str) -> str:
    key = words.replace(" ", "")
    # "Phường 01" and "Phường 1" are the same unit.
    return str(int(key)) if key.isdigit() else key


@functools.lru_cache(maxsize=1 << 16)
def split_unit_prefix(text: str | None) -> tuple[str, str]:
    """('thi xa', 'sapa') for 'TX. Sa Pa'; ('', 'muongbo') for 'Mường Bo'.

    The prefix is the folded unit type ('' when there is none); the key is unit_key().
    """
    prefix, _, rest = _parse(text)
    return prefix, _squash(rest)


def unit_key(text: str | None) -> str:
    """Folded name without its unit prefix and spaces: 'Xã Mường Bo' -> 'muongbo'."""
    return split_unit_prefix(text)[1]


@functools.lru_cache(maxsize=1 << 16)
def bare_key(text: str | None) -> str:
    """Like unit_key() but nothing is taken for a prefix: 'Bản Lầu' -> 'banlau'.

    Names may begin with a word that is also a prefix (Xã Bản Lầu, Xã Quan Sơn); a
    look-up of a name typed without its prefix tries this form too.
    """
    return _squash(_aligned(text or "")[1])


def name_form(text: str | None) -> str:
    """Lower case with diacritics, no prefix, no spaces: tells 'Văn Lăng' from 'Văn Lang'."""
    return _squash(_parse(text)[1])


def full_key(text: str | None) -> str:
    """Folded name with its prefix, no spaces: 'Xã Mường Bo' -> 'xamuongbo' (the package's keys)."""
    return fold(text).replace(" ", "").replace(".", "").replace("-", "").replace("'", "")
