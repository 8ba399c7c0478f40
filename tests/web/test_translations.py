"""Every visible string of the web app is translated into Vietnamese, and the compiled catalogue is current."""

import gettext
import re
from pathlib import Path

import polib
import pytest

import everydoor.web

WEB = Path(everydoor.web.__file__).parent
PO = WEB / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
# Text that reads the same in both languages: the product name, file formats, language names, signs.
SAME_IN_BOTH = {"everydoor", "XLSX", "PDF", "CSV", "Tiếng Việt", "English", "(", ")", "%", "–", "›", "·", "/",
                ":", ",", "+", "÷"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue() -> dict[str, polib.POEntry]:
    return {e.msgid: e for e in polib.pofile(str(PO))}


def test_every_entry_is_translated_with_the_same_placeholders():
    entries = _catalogue()
    assert len(entries) > 100
    for msgid, entry in entries.items():
        assert "fuzzy" not in entry.flags, msgid
        translated = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        assert translated, f"untranslated: {msgid!r}"
        assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(msgid)), msgid


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed (a fresh machine need not have GNU gettext): `make messages` rebuilds it."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, entry in _catalogue().items():
        if entry.msgid_plural:
            assert compiled.ngettext(msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0], msgid
        else:
            assert compiled.gettext(msgid) == entry.msgstr, f"{msgid!r}: run `make messages`"


def _visible_text(source: str) -> list[str]:
    """What a template shows outside template tags, variables and markup."""
    text = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", source, flags=re.S)
    text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->|<[^>]*>|&\w+;|&#\d+;", " ", text, flags=re.S)
    words = (w.strip("()[],.:;·") for w in re.split(r"\s+", text))
    return [w for w in words if re.search(r"[^\W\d_]", w) and w not in SAME_IN_BOTH]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_show_no_untranslated_text(template):
    source = template.read_text(encoding="utf-8")
    assert _visible_text(source) == [], "wrap these in {% translate %}"
    entries = _catalogue()
    for msgid in re.findall(r'{%\s*translate\s+"([^"]+)"', source):
        assert msgid in entries, f"{msgid!r} is not in the catalogue: run `make messages`"
    for body in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*(?:endblocktranslate|plural)", source, flags=re.S):
        msgid = re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body)
        assert msgid in entries, f"{msgid!r} is not in the catalogue: run `make messages`"


def test_python_strings_of_the_web_app_are_in_the_catalogue():
    entries = _catalogue()
    for module in WEB.rglob("*.py"):
        for msgid in re.findall(r'\b_\(\s*"((?:[^"\\]|\\.)+)"', module.read_text(encoding="utf-8")):
            assert msgid in entries, f"{module.name}: {msgid!r} is not in the catalogue"


def test_the_checker_catches_an_untranslated_string():
    assert _visible_text('<p>{% translate "Residents" %}</p><p>Residents</p>') == ["Residents"]
    assert _visible_text("<p>{{ area.name }} {% translate 'Village' %} 12</p>") == []
