"""Every string the field pages show is in the compiled Vietnamese catalogue of the field app."""

import gettext
import re
from pathlib import Path

import everydoor.field

FIELD = Path(everydoor.field.__file__).parent
MO = FIELD / "locale" / "vi" / "LC_MESSAGES" / "django.mo"


def _msgids() -> set[str]:
    found = set()
    for template in (FIELD / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        for double, single in re.findall(r"""{%\s*translate\s+(?:"([^"]+)"|'([^']+)')""", source):
            found.add(double or single)
    for module in FIELD.rglob("*.py"):
        found |= set(re.findall(r'\b_\(\s*"([^"]+)"', module.read_text(encoding="utf-8")))
    return found


def test_every_field_string_has_a_vietnamese_translation():
    with MO.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    msgids = _msgids()
    assert len(msgids) > 80
    untranslated = sorted(m for m in msgids if catalogue.gettext(m) == m)
    assert untranslated == [], "add them to locale/vi/LC_MESSAGES/django.po and compile it (msgfmt)"
