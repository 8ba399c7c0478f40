"""`everydoor link`, `review`, `export links` and `dq`: reconciliation from the command line."""

from pathlib import Path
from typing import Annotated

import typer

from everydoor.cli.common import cli_actor, command, emit_json, err_console

review_app = typer.Typer(no_args_is_help=True, help="The review queue of doubtful card-resident pairs.")
export_app = typer.Typer(no_args_is_help=True, help="Export registers and results.")


def register(app: typer.Typer) -> None:
    app.command("link")(link)
    app.command("dq")(dq)
    app.add_typer(review_app, name="review")
    app.add_typer(export_app, name="export")


@command
def link(
    engine: str = typer.Option("duckdb", help="duckdb (default) or spark"),
    retrain: bool = typer.Option(False, help="Train a new model version even if one exists."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Link every card to a resident: by personal ID, then with the Splink model."""
    from everydoor.linkage.services import link_run

    counts = link_run(engine=engine, retrain=retrain, progress=lambda msg: err_console.print(f"[dim]{msg}[/dim]"))
    if json_out:
        emit_json({k: counts[k] for k in ("cards", "linked_by_id", "linked_probabilistic", "to_review", "unlinked",
                                          "duplicates", "synced_rate")} | {"linked_manual": counts["linked_manual"]})
    else:
        for key, value in counts.items():
            typer.echo(f"{key:22} {value}")


@review_app.command("list")
@command
def review_list_cmd(
    limit: int = typer.Option(50, help="At most this many pairs (0: all)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Pairs waiting for a decision, most likely first."""
    from everydoor.linkage.selectors import review_list

    items = review_list(limit=limit or None)
    if json_out:
        emit_json(items)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "p", "card", "name on card", "dob", "sex", "resident", "personal ID", "dob", "sex")
    for i in items:
        table.add_row(str(i["id"]), f"{i['match_probability']:.3f}", i["card_number"] or i["si_code"],
                      i["card_name"], i["card_dob"], i["card_sex"], i["person_name"], i["personal_id"],
                      i["person_dob"], i["person_sex"])
    Console().print(table)


def _decide(item_id: int, accept: bool) -> None:
    from everydoor.linkage.services import review_decide

    item = review_decide(item_id=item_id, accept=accept, actor=cli_actor())
    typer.echo(f"review item {item.id}: {item.decision}", err=True)


@review_app.command("accept")
@command
def review_accept(item_id: int = typer.Argument(..., help="The review item's id (see `review list`).")) -> None:
    """Link the pair (a manual link); later runs keep it."""
    _decide(item_id, True)


@review_app.command("reject")
@command
def review_reject(item_id: int = typer.Argument(..., help="The review item's id (see `review list`).")) -> None:
    """Never link this pair."""
    _decide(item_id, False)


@export_app.command("links")
@command
def export_links(out: Annotated[Path, typer.Option("--out", help="Output file, .csv or .xlsx.")]) -> None:
    """One row per card: card_number, si_code, personal_id, method, match_probability."""
    from everydoor.accounts.services import audit_record
    from everydoor.linkage.quality import write_table
    from everydoor.linkage.selectors import links_export_frame

    frame = links_export_frame()
    write_table(frame, out, sheet="links")
    audit_record(actor=cli_actor(), action="export", object_type="links", detail={"file": str(out), "rows": frame.height})
    typer.echo(f"{frame.height} cards written to {out}", err=True)


@command
def dq(
    area: str = typer.Option(..., "--area", help="Province or commune, by name or code."),
    on: str = typer.Option("", help="Date for 'more than one valid card' (YYYY-MM-DD, default today)."),
    out: Annotated[Path | None, typer.Option("--out", help="Write the lists: .xlsx (one sheet each) or .csv.")] = None,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Data-quality lists of an area: counts per list and the synced rate."""
    from everydoor.accounts.services import audit_record
    from everydoor.core.dates import parse_iso
    from everydoor.geo.selectors import area_resolve, communes_in
    from everydoor.linkage.quality import cards_in_area, dq_lists, write_lists

    unit = area_resolve(area)
    commune_ids = list(communes_in(unit).values_list("id", flat=True))
    date = parse_iso(on, field="--on") if on else None
    lists = dq_lists(commune_ids=commune_ids, on=date)
    cards = cards_in_area(commune_ids)
    summary = {"area": unit.name, "code": unit.code, **{k: f.height for k, f in lists.items()}, "cards": cards,
               "synced_rate": round(1 - lists["unlinked_cards"].height / cards, 6) if cards else 0.0}
    if out is not None:
        written = write_lists(lists, out)
        audit_record(actor=cli_actor(), action="export", object_type="dq", area_code=unit.code,
                     detail={"files": [str(p) for p in written], **{k: f.height for k, f in lists.items()}})
        summary["files"] = [str(p) for p in written]
    if json_out:
        emit_json(summary)
    else:
        for key, value in summary.items():
            typer.echo(f"{key:22} {value}")
