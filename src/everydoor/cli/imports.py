"""`everydoor import units|population|cards|plans|agency-units|certificates|area-statuses`."""

from pathlib import Path

import typer

from everydoor.cli.common import cli_actor, command, emit_json, err_console, progress
from everydoor.core.dates import parse_iso

app = typer.Typer(no_args_is_help=True)

FileArg = typer.Argument(..., help="CSV, XLSX or Parquet file (docs/formats.md)")
AsOf = typer.Option(..., "--as-of", help="Date the extract describes, YYYY-MM-DD")
Scope = typer.Option(None, "--scope", help="Area the extract covers (default: the communes it contains)")
Json = typer.Option(False, "--json", help="Print one JSON summary on stdout")


def _run_register_import(service, file: Path, as_of: str, scope: str | None, json: bool) -> None:
    from everydoor.registry.services import import_summary

    with progress(disable=json) as bars:
        task = bars.add_task(f"import {file.name}", total=100)

        def report(step: str, done: float) -> None:
            bars.update(task, completed=int(done * 100), description=f"{file.name}: {step}")

        batch = service(path=file, as_of=parse_iso(as_of, field="--as-of"), scope=scope, actor=cli_actor(),
                        progress=report)
    summary = import_summary(batch)
    if json:
        emit_json(summary)
    else:
        err_console.print(
            f"batch {batch.id} ({batch.status}): {batch.rows_read:,} rows read, {batch.rows_loaded:,} loaded "
            f"({batch.rows_inserted:,} new, {batch.rows_updated:,} changed, {batch.rows_absent:,} no longer "
            f"listed), {batch.rows_quarantined:,} quarantined, {batch.rows_flagged:,} flagged "
            f"in {summary['duration_s']} s" + (f"; {batch.error}" if batch.error else ""))


@app.command()
@command
def units(json: bool = Json) -> None:
    """Load the 34 provinces, 3,321 communes and pre-2025 lineage from the installed packages."""
    from everydoor.geo.services import units_import

    counts = units_import()
    if json:
        emit_json(counts)
    else:
        err_console.print("administrative units: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))


@app.command()
@command
def population(file: Path = FileArg, as_of: str = AsOf, scope: str | None = Scope, json: bool = Json) -> None:
    """Import a population-register extract (residents and households)."""
    from everydoor.registry.services import population_import

    _run_register_import(population_import, file, as_of, scope, json)


@app.command()
@command
def cards(file: Path = FileArg, as_of: str = AsOf, scope: str | None = Scope, json: bool = Json) -> None:
    """Import a participant-register extract (health-insurance card periods)."""
    from everydoor.registry.services import cards_import

    _run_register_import(cards_import, file, as_of, scope, json)


@app.command("agency-units")
@command
def agency_units(file: Path = FileArg, json: bool = Json) -> None:
    """Import agency units and the communes each serves (unit_code, unit_name, commune_code)."""
    from everydoor.campaign.services import agency_units_import

    counts = agency_units_import(file)
    if json:
        emit_json(counts)
    else:
        err_console.print(f"{counts['file']}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items() if k != "file"))


def _print_reference_import(summary: dict, json: bool) -> None:
    if json:
        emit_json(summary)
    else:
        err_console.print(f"{summary['file']}: " + ", ".join(
            f"{v:,} {k}" if isinstance(v, int) else f"{k} {v}" for k, v in summary.items() if k != "file"))


@app.command()
@command
def certificates(file: Path = FileArg, json: bool = Json) -> None:
    """Import households' poor / near-poor / average-living-standard certificates (all rows or none)."""
    from everydoor.registry.certificates import certificates_import

    _print_reference_import(certificates_import(path=file, actor=cli_actor()), json)


@app.command("area-statuses")
@command
def area_statuses(file: Path = FileArg, json: bool = Json) -> None:
    """Import communes' dated list statuses (especially difficult, island; all rows or none)."""
    from everydoor.geo.statuses import area_statuses_import

    _print_reference_import(area_statuses_import(path=file, actor=cli_actor()), json)
