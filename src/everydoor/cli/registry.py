"""`everydoor stats` and `everydoor quarantine list`."""

import typer
from rich.table import Table

from everydoor.cli.common import command, emit_json, err_console

quarantine_app = typer.Typer(no_args_is_help=True)


@quarantine_app.command("list")
@command
def quarantine_list(batch: int | None = typer.Option(None, "--batch", help="Import batch id"),
                    limit: int = typer.Option(50, help="Rows to show in the table (JSON shows all)"),
                    json: bool = typer.Option(False, "--json")) -> None:
    """Rows rejected by imports: file, row, field, reason."""
    from everydoor.registry.selectors import quarantine_rows

    rows = quarantine_rows(batch_id=batch)
    if json:
        emit_json([{"batch_id": r.batch_id, "file": r.file_name, "row": r.row_number, "field": r.field,
                    "reason": r.reason, "message": r.message} for r in rows])
        return
    table = Table("batch", "file", "row", "field", "reason", "message")
    for r in rows[:limit]:
        table.add_row(str(r.batch_id), r.file_name, str(r.row_number), r.field, r.reason, r.message)
    err_console.print(table)
    err_console.print(f"{rows.count():,} rows in quarantine")


def register(app: typer.Typer) -> None:
    @app.command()
    @command
    def stats(area: str = typer.Option("Lào Cai", "--area", help="Province or commune, name or code"),
              json: bool = typer.Option(False, "--json")) -> None:
        """Residents, households, cards and quarantined rows of an area."""
        from everydoor.geo.selectors import area_resolve
        from everydoor.registry.selectors import register_stats

        result = register_stats(area_resolve(area))
        if json:
            emit_json({k: result[k] for k in ("area", "residents", "households", "cards", "quarantined")})
        else:
            for key, value in result.items():
                err_console.print(f"{key:>12}: {value:,}" if isinstance(value, int) else f"{key:>12}: {value}")
