"""`everydoor coverage`, `plan`, `change`, `lagging` and `report monthly`."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from everydoor.cli.common import cli_actor, command, emit_json, err_console

plan_app = typer.Typer(no_args_is_help=True)
report_app = typer.Typer(no_args_is_help=True)

_AREA_HELP = "Province, agency unit, commune or village: name or code (default: the province)"


def _area(name: str | None):
    from everydoor.core.errors import ErrorCode, EverydoorError
    from everydoor.coverage.selectors import area_resolve_any
    from everydoor.geo.models import AdminUnit

    if name:
        return area_resolve_any(name)
    provinces = list(AdminUnit.objects.filter(level="province")[:2])
    if len(provinces) != 1:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "name the area with --area")
    return provinces[0]


def _date(value: str, field: str):
    from everydoor.core.dates import parse_iso

    return parse_iso(value, field=field)


def _pct(value) -> str:
    return "-" if value is None else f"{value:.2f}%"


def _print_rows(title: str, rows: list[dict], columns: list[str]) -> None:
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else f"{row[c]:,}" if isinstance(row[c], int)
                        else _pct(row[c]) if c.endswith(("rate", "attainment")) else str(row[c]) for c in columns))
    err_console.print(table)


@plan_app.command("set")
@command
def plan_set_cmd(area: str = typer.Option(..., "--area", help=_AREA_HELP),
                 year: int = typer.Option(..., "--year"),
                 cards: int | None = typer.Option(None, "--cards", help="Participants planned"),
                 coverage_pct: float | None = typer.Option(None, "--coverage-pct", help="Or a coverage target, %"),
                 decision: str = typer.Option("", "--decision", help='e.g. "462/QĐ-BHXH"'),
                 json: bool = typer.Option(False, "--json")) -> None:
    """Set the year's plan (target) of an area or agency unit."""
    from everydoor.coverage.services import plan_set

    unit = _area(area)
    plan = plan_set(area=unit, year=year, cards=cards, coverage_pct=coverage_pct, decision=decision,
                    actor=cli_actor())
    result = {"area": unit.name, "year": plan.year, "metric": plan.metric, "value": float(plan.value),
              "decision": plan.decision}
    if json:
        emit_json(result)
    else:
        err_console.print(f"plan {plan.year} for {unit.name}: {plan.value:,} {plan.metric} ({plan.decision or '-'})")


@plan_app.command("import")
@command
def plan_import_cmd(file: Annotated[Path, typer.Argument(help="CSV or XLSX: area_code, year, cards[, decision]")],
                    json: bool = typer.Option(False, "--json")) -> None:
    """Import plans from a file; all rows or none."""
    from everydoor.coverage.services import plans_import

    result = plans_import(file, actor=cli_actor())
    if json:
        emit_json(result)
    else:
        err_console.print(f"{result['plans']} plans imported from {result['file']}")


@report_app.command("monthly")
@command
def report_monthly_cmd(out: Annotated[Path, typer.Option("--out")],
                       as_of: str = typer.Option(..., "--as-of"), area: str | None = typer.Option(None, "--area", help=_AREA_HELP),
                       fmt: str = typer.Option("xlsx", "--format", help="xlsx, pdf or md"),
                       lang: str = typer.Option("vi", "--lang", help="vi or en"),
                       json: bool = typer.Option(False, "--json")) -> None:
    """The monthly coverage report: headline, tables, change, lagging communes, charts."""
    from everydoor.coverage.report import report_monthly

    result = report_monthly(as_of=_date(as_of, "--as-of"), area=_area(area), fmt=fmt, out=out, lang=lang,
                            actor=cli_actor())
    if json:
        emit_json(result)
    else:
        err_console.print(result["headline"])
        err_console.print(f"written {result['out']}")


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan", help="Plans (targets) by area and agency unit.")
    app.add_typer(report_app, name="report", help="Reports.")

    @app.command()
    @command
    def coverage(as_of: str = typer.Option(..., "--as-of"), area: str | None = typer.Option(None, "--area", help=_AREA_HELP),
                 by: str | None = typer.Option(None, "--by", help="commune, village, agency_unit, group, payer, age, age5, sex, ethnicity"),
                 cached: bool = typer.Option(False, "--cached", help="Use facts already computed for the date"),
                 json: bool = typer.Option(False, "--json")) -> None:
        """Coverage of an area on a date: official and resident rates, plan, change on the year."""
        from everydoor.coverage.selectors import coverage_breakdown, coverage_for_area
        from everydoor.coverage.services import coverage_compute

        day = _date(as_of, "--as-of")
        unit = _area(area)
        if not cached:
            from everydoor.coverage.digest import change_parts_compute

            run = coverage_compute(as_of=day)
            err_console.print(f"coverage facts for {day}: {run['facts']:,} rows in {run['duration_s']:.1f} s")
            parts = change_parts_compute(as_of=day)  # what the dashboards' waterfalls draw
            err_console.print(f"change on the year by part, {parts['areas']} areas: {parts['duration_s']:.1f} s")
        if by:
            rows = coverage_breakdown(unit, day, by)
            if json:
                emit_json({"area": unit.name, "as_of": day.isoformat(), "by": by, "rows": rows})
            else:
                _print_rows(f"{unit.name}, {day}, by {by}", rows,
                            ["name", "residents", "insured_residents", "cards", "official_rate", "resident_rate",
                             "plan", "plan_attainment"])
            return
        result = coverage_for_area(unit, day)
        if json:
            emit_json(result)
            return
        typer.echo(f"{result['area']} on {result['as_of']}: {result['cards']:,} valid cards, "
                   f"{result['residents']:,} residents, {result['insured_residents']:,} insured residents")
        typer.echo(f"official rate {_pct(result['official_rate'])}, resident rate {_pct(result['resident_rate'])}; "
                   f"plan {result['plan'] or '-'} ({_pct(result['plan_attainment'])}); "
                   f"change on the year {result['change']:+,}")
        typer.echo("cards - insured residents = " + ", ".join(f"{k} {v:,}" for k, v in result["difference"].items()))

    @app.command()
    @command
    def change(date_from: str = typer.Option(..., "--from"), date_to: str = typer.Option(..., "--to"),
               area: str | None = typer.Option(None, "--area", help=_AREA_HELP),
               json: bool = typer.Option(False, "--json")) -> None:
        """Why valid cards (and insured residents) changed between two dates; the parts add up."""
        from everydoor.coverage.change import change_explain

        result = change_explain(area=_area(area), date_from=_date(date_from, "--from"), date_to=_date(date_to, "--to"))
        if json:
            emit_json(result)
            return
        typer.echo(f"{result['area']}: valid cards {result['from']} -> {result['to']}: {result['total']:+,}")
        for name, count in result["parts"].items():
            typer.echo(f"  {name:<18}{count:+,}")
        typer.echo(f"  (renewals {result['flows']['renewals']:,}, "
                   f"of which under another payer group {result['flows']['renewed_other_payer_group']:,})")

    @app.command()
    @command
    def lagging(as_of: str = typer.Option(..., "--as-of"), area: str | None = typer.Option(None, "--area", help=_AREA_HELP),
                level: str = typer.Option("commune", "--level", help="commune or village"),
                limit: int = typer.Option(20, "--limit"), json: bool = typer.Option(False, "--json")) -> None:
        """Communes or villages ranked by resident rate and by distance to plan, with people still needed."""
        from everydoor.core.errors import ErrorCode, EverydoorError
        from everydoor.coverage.selectors import facts_ensure, lagging_areas

        if level not in ("commune", "village"):
            raise EverydoorError(ErrorCode.INVALID_INPUT, f"--level must be commune or village, got {level!r}")
        day = _date(as_of, "--as-of")
        facts_ensure(day)
        result = lagging_areas(_area(area), day, level=level, limit=limit)
        if json:
            emit_json(result)
            return
        columns = ["name", "residents", "insured_residents", "resident_rate", "cards", "plan", "plan_attainment", "needed"]
        _print_rows(f"{result['area']}: {level}s by resident rate", result["by_resident_rate"], columns)
        if result["by_plan"]:
            _print_rows(f"{result['area']}: {level}s by distance to plan", result["by_plan"], columns)
