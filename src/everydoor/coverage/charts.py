"""Charts rendered server-side and offline: Altair specifications, vl-convert to SVG or PNG."""

import altair as alt
import polars as pl
import vl_convert as vlc


def trend_chart(points: list[dict], *, title: str, y_title: str) -> dict:
    """points: [{"date": "2025-10-31", "cards": n, "official_rate": pct}], as a Vega-Lite spec."""
    frame = pl.DataFrame(points).select("date", "cards").to_dicts()
    chart = alt.Chart(alt.Data(values=frame)).mark_line(point=True, color="#1f5fa8").encode(
        # One tick per month end, slanted: thirteen "MM/YYYY" labels do not fit flat in 520 px.
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%m/%Y", labelAngle=-45, tickCount="month")),
        y=alt.Y("cards:Q", title=y_title, scale=alt.Scale(zero=False)),
    ).properties(width=520, height=220, title=title)
    return chart.to_dict()


def ranked_bars(rows: list[dict], *, title: str, x_title: str, field: str = "resident_rate") -> dict:
    """Horizontal bars, lowest first: the lagging areas stand out at the top."""
    values = [{"name": r["name"], "value": r[field]} for r in rows if r.get(field) is not None]
    chart = alt.Chart(alt.Data(values=values)).mark_bar(color="#c0392b").encode(
        x=alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("name:N", title=None, sort=alt.EncodingSortField(field="value", order="ascending")),
    ).properties(width=460, height=max(120, 16 * len(values)), title=title)
    return chart.to_dict()


def svg(spec: dict) -> str:
    return vlc.vegalite_to_svg(spec)


def png(spec: dict, scale: float = 2.0) -> bytes:
    return vlc.vegalite_to_png(spec, scale=scale)
