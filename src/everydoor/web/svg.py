"""Charts and the map as SVG, drawn on the server: no script, no CDN, readable on an intranet.

Each function takes plain numbers and returns markup; colours are presentation attributes, not
style attributes, so the Content-Security-Policy (no inline style) holds.
"""

import math

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Resident rate bands (percent) and their colours, from far below the goal to at or above it (96.5%).
BANDS = ((80.0, "#c0392b"), (85.0, "#e67e22"), (90.0, "#f1c40f"), (96.5, "#7fb77e"), (1000.0, "#1e8449"))
NO_DATA = "#b0b7bd"
INK, GRID, GAIN, LOSS, TOTAL = "#1d2a33", "#dde3e8", "#1e8449", "#c0392b", "#0b5d7a"


def band_colour(rate: float | None) -> str:
    if rate is None:
        return NO_DATA
    return next(colour for upper, colour in BANDS if rate < upper)


def _n(value, digits: int = 0) -> str:
    return number_format(value, digits, use_l10n=True, force_grouping=True)


def _svg(width: int, height: int, body: list[str], label: str) -> SafeString:
    return mark_safe(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
                     f'aria-label="{escape(label)}" class="chart">' + "".join(body) + "</svg>")


def _text(x, y, text, anchor="start", size=12, fill=INK, weight="normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
            f'font-weight="{weight}">{escape(text)}</text>')


def trend(points: list[dict]) -> SafeString:
    """Official and resident rates over the dates coverage was computed for."""
    width, height, left, right, top, bottom = 640, 240, 48, 16, 16, 40
    label = _("Coverage over time")
    if not points:
        return _svg(width, height, [_text(width / 2, height / 2, _("No coverage computed yet"), "middle")], label)
    values = [p[k] for p in points for k in ("official_rate", "resident_rate") if p.get(k) is not None]
    low = math.floor(min(values + [96.5]) / 5) * 5 - 5
    high = min(math.ceil(max(values + [96.5]) / 5) * 5, 105)
    plot_w, plot_h = width - left - right, height - top - bottom
    days = [p["as_of"].toordinal() for p in points]
    span = (max(days) - min(days)) or 1

    def x(p):
        return left + (plot_w * (p["as_of"].toordinal() - min(days)) / span if len(points) > 1 else plot_w / 2)

    def y(v):
        return top + plot_h * (high - v) / (high - low)

    body = []
    for tick in range(int(low), int(high) + 1, 5):
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y(tick) + 4, f"{tick}%", "end", 11))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(96.5):.1f}" y2="{y(96.5):.1f}" stroke="{GAIN}" '
                f'stroke-dasharray="4 3"/>')
    body.append(_text(width - right, y(96.5) - 4, _("goal %(rate)s%%") % {"rate": _n(96.5, 1)}, "end", 11, GAIN))
    for key, colour, name in (("official_rate", TOTAL, _("official rate")),
                              ("resident_rate", "#e67e22", _("resident rate"))):
        pts = [(x(p), y(p[key])) for p in points if p.get(key) is not None]
        if len(pts) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="'
                        + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        for (a, b), p in zip(pts, [p for p in points if p.get(key) is not None], strict=True):
            body.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="4" fill="{colour}"><title>{escape(name)} '
                        f'{escape(date_format(p["as_of"], "SHORT_DATE_FORMAT"))}: {_n(p[key], 2)}%</title></circle>')
    for i in _labelled([x(p) for p in points]):  # the first and last labels kept inside the frame
        anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 and len(points) > 1 else "middle"
        body.append(_text(x(points[i]), height - bottom + 16, date_format(points[i]["as_of"], "SHORT_DATE_FORMAT"),
                          anchor, 11))
    body.append(f'<rect x="{left}" y="{height - 14}" width="10" height="10" fill="{TOTAL}"/>')
    body.append(_text(left + 14, height - 5, _("official rate"), size=11))
    body.append(f'<rect x="{left + 130}" y="{height - 14}" width="10" height="10" fill="#e67e22"/>')
    body.append(_text(left + 144, height - 5, _("resident rate"), size=11))
    return _svg(width, height, body, label)


DATE_LABEL_PX = 62  # a short date (dd/mm/yyyy) at 11 px
LABEL_GAP_PX = 10


def _labelled(xs: list[float]) -> list[int]:
    """The points whose date is written under the axis, none overlapping the one before: left to right, the
    first written from its point rightwards, the last leftwards (inside the frame), the others centred; the
    last always (it is the date shown), in place of a neighbour too close to it."""
    def extent(i: int) -> tuple[float, float]:
        if len(xs) > 1 and i == 0:
            return xs[i], xs[i] + DATE_LABEL_PX
        if len(xs) > 1 and i == len(xs) - 1:
            return xs[i] - DATE_LABEL_PX, xs[i]
        return xs[i] - DATE_LABEL_PX / 2, xs[i] + DATE_LABEL_PX / 2

    kept: list[int] = []
    for i in range(len(xs)):
        if kept and extent(i)[0] < extent(kept[-1])[1] + LABEL_GAP_PX:
            if i == len(xs) - 1:
                kept[-1] = i
            continue
        kept.append(i)
    return kept


def waterfall(start: int, parts: list[tuple[str, int]], end: int, start_label: str, end_label: str) -> SafeString:
    """Valid cards a year before, each part of the change as a rising or falling bar, valid cards now."""
    bars = [(start_label, 0, start, TOTAL)]
    level = start
    for name, delta in parts:
        bars.append((name, level, level + delta, GAIN if delta >= 0 else LOSS))
        level += delta
    bars.append((end_label, 0, end, TOTAL))
    width, row, left, right = 720, 26, 330, 90
    height = row * len(bars) + 10
    lows = [min(a, b) for _, a, b, _ in bars[1:-1]] + [start, end]
    floor = min(lows) * 0.98 if lows else 0  # the bars start near the smallest level: the parts stay visible
    high = max(max(a, b) for _, a, b, _ in bars) or 1
    scale = (width - left - right) / ((high - floor) or 1)
    body = []
    for i, (name, a, b, colour) in enumerate(bars):
        y = 5 + i * row
        lo, hi = (max(min(a, b), floor), max(a, b)) if colour != TOTAL else (floor, b)
        body.append(_text(left - 8, y + row / 2 + 4, name, "end", 12))
        body.append(f'<rect x="{left + (lo - floor) * scale:.1f}" y="{y + 3}" width="{max((hi - lo) * scale, 1.5):.1f}" '
                    f'height="{row - 8}" fill="{colour}"/>')
        value = _n(b) if colour == TOTAL else ("+" if b >= a else "−") + _n(abs(b - a))
        body.append(_text(left + (hi - floor) * scale + 6, y + row / 2 + 4, value, size=12,
                          weight="bold" if colour == TOTAL else "normal"))
    return _svg(width, height, body, _("Change on the year"))


def province_map(communes: list[dict], boundaries: dict | None = None) -> SafeString:
    """Communes coloured by resident rate, each a link to its page: outlines from a GeoJSON when one is
    configured (code -> list of rings of (lon, lat)), else a dot at the commune's position."""
    width, height, pad = 560, 520, 20
    placed = [c for c in communes if c.get("lat") is not None and c.get("lon") is not None]
    label = _("Map of communes by resident rate")
    if not placed:
        return _svg(width, height, [_text(width / 2, height / 2, _("No positions for these communes"), "middle")], label)
    rings = {c["code"]: boundaries.get(c["code"], []) for c in placed} if boundaries else {}
    lons = [c["lon"] for c in placed] + [pt[0] for rs in rings.values() for r in rs for pt in r]
    lats = [c["lat"] for c in placed] + [pt[1] for rs in rings.values() for r in rs for pt in r]
    # an equirectangular projection scaled by the cosine of the latitude: right for a province
    kx = math.cos(math.radians(sum(lats) / len(lats)))
    spread_x, spread_y = ((max(lons) - min(lons)) * kx) or 0.01, (max(lats) - min(lats)) or 0.01
    scale = min((width - 2 * pad) / spread_x, (height - 2 * pad - 40) / spread_y)

    def project(lon, lat):
        return pad + (lon - min(lons)) * kx * scale, pad + (max(lats) - lat) * scale

    body = []
    for c in placed:
        colour, rate = band_colour(c.get("resident_rate")), c.get("resident_rate")
        tip = f"{c['name']}: " + (f"{_n(rate, 2)}%" if rate is not None else _("no data"))
        shape = ""
        for ring in rings.get(c["code"], []):
            shape += ('<polygon points="' + " ".join("{:.1f},{:.1f}".format(*project(*pt)) for pt in ring)
                      + f'" fill="{colour}" stroke="#ffffff" stroke-width="0.8"/>')
        if not shape:
            cx, cy = project(c["lon"], c["lat"])
            shape = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="7" fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
        body.append(f'<a href="{escape(c["url"])}"><title>{escape(tip)}</title>{shape}</a>')
    legend = [(_("below %(rate)s%%") % {"rate": _n(80)}, BANDS[0][1]), ("80–85%", BANDS[1][1]), ("85–90%", BANDS[2][1]),
              (f"90–{_n(96.5, 1)}%", BANDS[3][1]), (_("goal met"), BANDS[4][1])]
    for i, (name, colour) in enumerate(legend):
        x = pad + i * 105
        body.append(f'<rect x="{x}" y="{height - 24}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(x + 16, height - 14, name, size=11))
    return _svg(width, height, body, label)


def target_bar(gained: int, target: int, expected: int | None = None) -> SafeString:
    """Cards gained against the target, with where the campaign should stand today (a straight line
    from the baseline to the due date) as a tick; a gain beyond the target fills the bar. Drawn at
    about the width it is shown at, so its text reads at the page's size."""
    width, height, left, right, top = 1000, 84, 8, 8, 22
    plot_w = width - left - right
    label = _("Cards gained against the target")
    share = gained / target if target else (1.0 if gained > 0 else 0.0)
    filled = max(min(share, 1.0), 0.0) * plot_w
    colour = GAIN if expected is None or gained >= expected else "#e67e22"
    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="30" rx="4" fill="{GRID}"/>',
            f'<rect x="{left}" y="{top}" width="{filled:.1f}" height="30" rx="4" fill="{colour}"/>']
    body.append(_text(left, top + 56, _("%(gained)s of %(target)s cards") % {"gained": _n(gained),
                                                                             "target": _n(target)},
                      size=15, weight="bold"))
    if target:  # rounded here: number_format cuts the digits it drops
        body.append(_text(width - right, top + 56, f"{_n(round(100 * share, 1), 1)}%", "end", 15, weight="bold"))
    if expected is not None and target:
        x = left + min(max(expected / target, 0.0), 1.0) * plot_w
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{top + 34}" stroke="{INK}" stroke-width="2"/>')
        anchor = "end" if x > width * 0.85 else "start" if x < width * 0.15 else "middle"
        body.append(_text(x, top - 8, _("expected by today: %(cards)s") % {"cards": _n(expected)}, anchor, 13,
                          "#5b6b76"))
    return _svg(width, height, body, label)


def funnel(steps: list[tuple[str, int, int | None]]) -> SafeString:
    """Each step of the field work as a bar scaled to the largest: (label, count, the count its share is
    of, or None: households and residents are not shares of each other)."""
    width, row, left, right = 520, 30, 180, 100  # about the width of half a page: text at the page's size
    height = row * len(steps) + 6
    scale = (width - left - right) / (max((value for _, value, _ in steps), default=0) or 1)
    body = []
    for i, (name, value, base) in enumerate(steps):
        y = 3 + i * row
        body.append(_text(left - 8, y + row / 2 + 4, name, "end", 12))
        body.append(f'<rect x="{left}" y="{y + 4}" width="{max(value * scale, 1.5):.1f}" height="{row - 10}" '
                    f'fill="{TOTAL if i == 0 else GAIN}"/>')
        text = _n(value) + (f" ({_n(round(100 * value / base, 1), 1)}%)" if base else "")
        body.append(_text(left + value * scale + 6, y + row / 2 + 4, text, size=12))
    return _svg(width, height, body, _("From the door to the card"))
