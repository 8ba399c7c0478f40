"""Commune outlines for the map, from the GeoJSON file the EVERYDOOR_BOUNDARIES setting names (optional)."""

import functools
import json
from pathlib import Path

from django.conf import settings

from everydoor.core.errors import ErrorCode, EverydoorError

CODE_PROPERTIES = ("code", "ma_xa", "commune_code")  # where a feature may carry the commune's official code


@functools.lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> dict[str, list]:
    """code -> rings of (lon, lat), read once per version of the file."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: not a readable GeoJSON file ({exc})") from None
    outlines: dict[str, list] = {}
    for feature in document.get("features", []):
        props = feature.get("properties") or {}
        code = next((str(props[k]) for k in CODE_PROPERTIES if props.get(k) not in (None, "")), None)
        geometry = feature.get("geometry") or {}
        polygons = {"Polygon": [geometry.get("coordinates")], "MultiPolygon": geometry.get("coordinates")}.get(
            geometry.get("type"), [])
        if code:
            outlines[code.zfill(5)] = [[(pt[0], pt[1]) for pt in poly[0]] for poly in polygons if poly]
    return outlines


def commune_boundaries(codes: list[str]) -> dict[str, list] | None:
    """Outlines of these communes, or None (dots) when no file is configured or it has none of them."""
    path = settings.EVERYDOOR_BOUNDARIES
    if not path:
        return None
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"EVERYDOOR_BOUNDARIES: no file {path}") from None
    outlines = _read(path, mtime)
    found = {code: outlines[code] for code in codes if code in outlines}
    return found or None
