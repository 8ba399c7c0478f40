"""`everydoor lapses` (who loses a card before a date, and why), `lapses train`, `forecast`, `reminders`."""

from pathlib import Path

import typer
from rich.table import Table

from everydoor.cli.common import cli_actor, command, emit_json, err_console

app = typer.Typer()
_AREA_HELP = "Province, agency unit, commune or village: name or code (default: the province)"


def _date(value: str | None, field: str):
    from everydoor.core.dates import parse_iso, today

    return parse_iso(value, field=field) if value else today()


def _summary_table(title: str, rows: list[dict], key: str) -> None:
    table = Table(key, "cards lapsing", "supports ending", "people", "households", "premium/yr (VND)", title=title)
    for row in rows:
        table.add_row(str(row.get(key) or "-"), f"{row['cards_lapsing']:,}", f"{row['supports_ending']:,}",
                      f"{row['people']:,}", f"{row['households']:,}", f"{row['premium']:,}")
    err_console.print(table)


@app.callback(invoke_without_command=True)
def lapses(ctx: typer.Context,
           area: str | None = typer.Option(None, "--area", help=_AREA_HELP),
           as_of: str | None = typer.Option(None, "--as-of", help="Cards valid on this date (default: today)"),
           until: str | None = typer.Option(None, "--until", help="Lapsing before this date (default: 31 December)"),
           json: bool = typer.Option(False, "--json", help="One JSON document: summary and the first --limit rows"),
           fmt: str | None = typer.Option(None, "--format", help="csv or xlsx for --out (default: its suffix)"),
           out: Path | None = typer.Option(None, "--out", help="Write the whole list, with names (audited)"),
           limit: int = typer.Option(20, "--limit", help="Rows shown or put in the JSON (0: all)")) -> None:
    """Cards valid on --as-of that end before --until with no later period known, and residents whose state
    support ends before it (turning 6, a certificate ending, the commune leaving the list): who, when, why,
    the premium the household would pay from then on, and the risk of not renewing."""
    if ctx.invoked_subcommand is None:
        _list(area=area, as_of=as_of, until=until, json=json, fmt=fmt, out=out, limit=limit)


@command
def _list(*, area, as_of, until, json, fmt, out, limit) -> None:
    import datetime as dt

    from everydoor.cli.coverage import _area
    from everydoor.lapses import exports
    from everydoor.lapses.services import lapse_list

    unit = _area(area)
    day = _date(as_of, "--as-of")
    end = _date(until, "--until") if until else dt.date(day.year + 1, 1, 1)
    result = lapse_list(area=unit, as_of=day, until=end)
    rows, summary = result["rows"], result["summary"]
    document = {k: result[k] for k in ("area", "as_of", "until", "model_version")} | summary
    if out is not None:
        kind = exports.file_format(out, fmt)
        named = exports.with_names(rows)
        sheets = {"lapses": named}
        if kind == "xlsx":
            sheets |= {f"by_{k}": __import__("polars").DataFrame(summary[f"by_{k}"])
                       for k in ("reason", "commune", "village", "payer_group")}
        document["export"] = exports.export_audited(sheets=sheets, path=out, fmt=kind, what="lapse_list",
                                                    area_code=getattr(unit, "code", ""), actor=cli_actor())
    shown = rows if limit == 0 else rows.head(limit)
    if json:
        document["rows"] = shown.to_dicts()
        emit_json(document)
        return
    total = summary["total"]
    err_console.print(f"{result['area']}: cards valid on {day} lapsing before {end}: {total['cards_lapsing']:,}; "
                      f"state support ending without a known renewal: {total['supports_ending']:,}; "
                      f"{total['people']:,} people in {total['households']:,} households"
                      + (f"; risk model v{result['model_version']}" if result["model_version"] else
                         "; no risk model trained (everydoor lapses train)"))
    _summary_table("by reason", summary["by_reason"], "reason")
    _summary_table("by payer group", summary["by_payer_group"], "payer_group")
    _summary_table("by commune (first 15)", summary["by_commune"][:15], "commune")
    table = Table("card", "household", "reason", "date", "pays/yr", "risk", title=f"first {shown.height} of the list")
    for row in shown.iter_rows(named=True):
        table.add_row(row["si_code"], row["household_code"] or "-", row["reason"], str(row["date"]),
                      f"{row['premium']:,}", "-" if row["risk"] is None else f"{row['risk']:.2f}")
    err_console.print(table)
    if out is not None:
        err_console.print(f"the whole list ({rows.height:,} rows, with names) is in {out}")


@app.command()
@command
def train(as_of: str | None = typer.Option(None, "--as-of", help="Learn from the registers as known on this date"),
          json: bool = typer.Option(False, "--json")) -> None:
    """Learn the risk of not renewing within 30 days from the registers' past periods; saves the next version."""
    from everydoor.lapses.risk import train as risk_train

    model = risk_train(as_of=_date(as_of, "--as-of"))
    result = {"version": model.version, "as_of": model.as_of, "library": model.library,
              "trained_on": model.trained_on, "metrics": model.metrics, "features": model.features}
    if json:
        emit_json(result)
    else:
        err_console.print(f"lapse risk model v{model.version} ({model.library}): {model.trained_on['periods']:,} "
                          f"periods, {model.trained_on['lapsed']:,} not renewed within 30 days; "
                          f"held-out ROC AUC {model.metrics['held_out_roc_auc']}")


@app.command()
@command
def prepare(area: str | None = typer.Option(None, "--area", help="Its province's renewal rates " + _AREA_HELP[0].lower()
                                            + _AREA_HELP[1:]),
            as_of: str | None = typer.Option(None, "--as-of", help="Renewal rates as of this date (default: today)"),
            json: bool = typer.Option(False, "--json")) -> None:
    """Make what lists and forecasts read for this version of the registers (after an import or a link run),
    so that the next list or forecast does not pay for it."""
    from everydoor.cli.coverage import _area
    from everydoor.lapses.prepare import prepare as lapses_prepare
    from everydoor.lapses.services import province_of

    result = lapses_prepare(as_of=_date(as_of, "--as-of"), province=province_of(_area(area)))
    if json:
        emit_json(result)
    else:
        err_console.print(f"lapse warnings prepared for the registers' version {result['version']} "
                          f"({result['periods']:,} card periods; the lapse page of {result['areas']} areas) "
                          f"in {result['seconds']} s")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="lapses", help="Cards and state support that end before a date, and why.")


@command
def forecast_cmd(area: str | None = typer.Option(None, "--area", help=_AREA_HELP),
                 as_of: str | None = typer.Option(None, "--as-of", help="The registers as of (default: today)"),
                 at: str | None = typer.Option(None, "--at", help="Project to this date (default: 31 December)"),
                 scenario: Path | None = typer.Option(None, "--scenario", help="CSV/XLSX of rule changes to try "
                                                      "(docs/formats.md); the rules themselves are not changed"),
                 json: bool = typer.Option(False, "--json")) -> None:
    """Projected valid cards and coverage on --at as a band (low/expected/high), against the plan."""
    import datetime as dt

    from everydoor.cli.coverage import _area
    from everydoor.core.dates import today
    from everydoor.lapses.scenario import forecast_with

    unit = _area(area)
    day = _date(as_of, "--as-of")
    end = _date(at, "--at") if at else dt.date(day.year, 12, 31)
    result = forecast_with(area=unit, as_of=day, at=end, scenario=scenario, today=today())
    if json:
        emit_json(result)
        return
    band, rate = result["cards"], result["rate_pct"]
    err_console.print(f"{result['area']}: {result['cards_valid_on_as_of']:,} cards valid on {day}; projected on {end}: "
                      f"{band['low']:,} .. [bold]{band['expected']:,}[/bold] .. {band['high']:,} cards "
                      f"({rate['low']}% .. {rate['expected']}% .. {rate['high']}% of {result['residents']:,} residents)")
    parts = result["parts"]
    err_console.print(f"  known valid on {end}: {parts['known_valid_on_at']:,}; due before it: {parts['due']:,}, "
                      f"expected renewals {parts['expected_renewals']:,}; new enrolments "
                      f"{parts['new_enrolments_per_day']}/day -> {parts['expected_new_enrolments']:,}")
    plan = result["plan"]
    if plan:
        err_console.print(f"  plan {plan['cards']:,} cards: gap {plan['gap']['expected']:,} (expected); cards needed "
                          f"per week over {plan['weeks_left']} weeks: {plan['cards_needed_per_week']['expected']:,} "
                          f"(band {plan['cards_needed_per_week']['high']:,}..{plan['cards_needed_per_week']['low']:,})")
    table = Table("class", "due", "renewal rate", "from history", "expected renewals", title="cards due, by class")
    for row in result["by_class"]:
        table.add_row(row["card_class"], f"{row['due']:,}", f"{row['rate']:.3f}", "yes" if row["learned"] else
                      "no: paying households' rate", f"{int(row['expected_renewals']):,}")
    err_console.print(table)
    if result.get("scenario"):
        s = result["scenario"]
        err_console.print(f"scenario {s['file']}: {s['residents_affected']:,} residents affected, premium they would "
                          f"face {s['premium_affected']:,} VND/yr; projected {s['cards']['expected']:,} cards "
                          f"({s['projected_loss']:+,} against the rules in force); the rules are unchanged")


def register_forecast(root: typer.Typer) -> None:
    root.command("forecast")(forecast_cmd)


@command
def reminders_cmd(commune: str | None = typer.Option(None, "--commune", help="Commune: name or code"),
                  officer: str | None = typer.Option(None, "--officer", help="Officer's user name: their villages"),
                  as_of: str | None = typer.Option(None, "--as-of", help="Default: today"),
                  until: str | None = typer.Option(None, "--until", help="Cards ending before (default: 30 days on)"),
                  fmt: str | None = typer.Option(None, "--format", help="csv or xlsx (default: --out's suffix)"),
                  out: Path = typer.Option(..., "--out", help="The file to write (personal data: audited)"),
                  json: bool = typer.Option(False, "--json")) -> None:
    """Reminders for residents whose card (or state support) ends soon: name, phone, end date, premium, where to pay."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from everydoor.core.errors import ErrorCode, EverydoorError
    from everydoor.geo.models import AdminUnit
    from everydoor.geo.selectors import area_resolve
    from everydoor.lapses.reminders import reminders_export

    unit = area_resolve(commune) if commune else None
    if unit is not None and unit.level != AdminUnit.Level.COMMUNE:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--commune: {unit.name} is a {unit.level}, not a commune")
    user = None
    if officer:
        user = get_user_model().objects.filter(username=officer).first()
        if user is None:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"--officer: no user named {officer!r}")
    day = _date(as_of, "--as-of")
    end = _date(until, "--until") if until else day + dt.timedelta(days=30)
    summary = reminders_export(commune=unit, officer=user, as_of=day, until=end, path=out, fmt=fmt, actor=cli_actor())
    if json:
        emit_json(summary)
    else:
        err_console.print(f"{summary['rows']:,} reminders ({summary['people']:,} people) written to {out}")


def register_reminders(root: typer.Typer) -> None:
    root.command("reminders")(reminders_cmd)
