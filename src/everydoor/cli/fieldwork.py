"""`everydoor worklist` (the households to visit: JSON, a spreadsheet or a printable checklist) and `visits`."""

from pathlib import Path

import typer

from everydoor.cli.common import cli_actor, command, emit_json, err_console


def officer_by_username(username: str):
    from django.contrib.auth import get_user_model

    from everydoor.core.errors import ErrorCode, EverydoorError

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise EverydoorError(ErrorCode.NOT_FOUND, f"no user is named {username!r}")
    return user


def _unit(name: str, level: str):
    from everydoor.core.errors import ErrorCode, EverydoorError
    from everydoor.geo.selectors import area_resolve

    unit = area_resolve(name)
    if unit.level != level:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{name!r} names a {unit.level}, not a {level}")
    return unit


def register(app: typer.Typer) -> None:
    app.add_typer(visits_app, name="visits", help="Visits recorded at the door.")
    app.add_typer(review_app, name="field-review", help="Residents the field did not find, for the unit manager.")
    ladder_command(app)

    @app.command()
    @command
    def worklist(officer: str | None = typer.Option(None, "--officer", help="Username: their villages on the date"),
                 village: str | None = typer.Option(None, "--village", help="Village: name ('Thôn X, Xã Y') or code"),
                 commune: str | None = typer.Option(None, "--commune", help="Commune: all its villages"),
                 as_of: str | None = typer.Option(None, "--as-of", help="Date (default: today)"),
                 fmt: str = typer.Option("json", "--format", help="json, xlsx or pdf"),
                 out: Path | None = typer.Option(None, "--out", help="File to write (xlsx, pdf; json: stdout)"),
                 lang: str = typer.Option("vi", "--lang", help="vi or en"),
                 json: bool = typer.Option(False, "--json")) -> None:
        """Households with a resident to insure: members, reasons, entitlements, premium, in visiting order."""
        from everydoor.campaign.worklist import worklist_scope
        from everydoor.campaign.worklist_export import worklist_export
        from everydoor.core.dates import parse_iso, today

        day = parse_iso(as_of, field="--as-of") if as_of else today()
        scope = worklist_scope(officer=officer_by_username(officer) if officer else None,
                               village=_unit(village, "village") if village else None,
                               commune=_unit(commune, "commune") if commune else None, on=day)
        result = worklist_export(scope=scope, as_of=day, fmt=fmt, out=out, lang=lang, actor=cli_actor())
        if fmt == "json" and out is not None:
            import json as jsonlib

            out.write_text(jsonlib.dumps(result, ensure_ascii=False, default=str, indent=1), encoding="utf-8")
        summary = {"scope": result["scope"], "as_of": day.isoformat(), "villages": len(result["villages"]),
                   "households": result["households"], "uninsured": result["uninsured"],
                   "expiring": result["expiring"], "file": str(out) if out else None}
        if fmt == "json" and out is None:
            emit_json(result)
        elif json:
            emit_json(summary)
        else:
            err_console.print(f"work list of {summary['scope']} on {day}: {summary['households']:,} households, "
                              f"{summary['uninsured']:,} uninsured, {summary['expiring']:,} cards expiring"
                              + (f" -> {out}" if out else ""))


visits_app = typer.Typer(no_args_is_help=True)


@visits_app.command("import")
@command
def visits_import_cmd(file: Path = typer.Argument(..., help="CSV or XLSX: household, officer, visited_at, outcome, "
                                                            "reason, members, card_number, note, follow_up, phone"),
                      json: bool = typer.Option(False, "--json")) -> None:
    """Visits from paper lists; all rows or none, errors naming row and field; a re-import adds nothing."""
    from everydoor.campaign.visit_import import visits_import

    result = visits_import(file, actor=cli_actor())
    if json:
        emit_json(result)
    else:
        err_console.print(f"{result['file']}: {result['created']:,} visits recorded, "
                          f"{result['already_recorded']:,} already recorded")


@visits_app.command("confirm")
@command
def visits_confirm_cmd(json: bool = typer.Option(False, "--json")) -> None:
    """Confirm claimed enrolments whose card now appears in the card register (also run after each link run)."""
    from everydoor.campaign.confirmations import visits_confirm

    result = visits_confirm()
    if json:
        emit_json(result)
    else:
        err_console.print(f"{result['confirmed']:,} of {result['pending']:,} claimed enrolments confirmed")


review_app = typer.Typer(no_args_is_help=True)


def _area_or_none(name: str | None):
    from everydoor.geo.selectors import area_resolve

    return area_resolve(name) if name else None


@review_app.command("list")
@command
def field_review_list(area: str | None = typer.Option(None, "--area", help="Province, commune or village"),
                      status: str = typer.Option("pending", "--status", help="pending, accepted, rejected or all"),
                      json: bool = typer.Option(False, "--json")) -> None:
    """Residents the field did not find, for the unit manager; and card numbers seen that the register lacks."""
    from rich.table import Table

    from everydoor.accounts.services import audit_record
    from everydoor.campaign.field_review import field_reviews, unmatched_cards

    unit = _area_or_none(area)
    rows = field_reviews(area=unit, status=None if status == "all" else status)
    cards = unmatched_cards(area=unit)
    audit_record(actor=cli_actor(), action="lookup", object_type="field_review", area_code=unit.code if unit else "",
                 detail={"reviews": len(rows)})
    if json:
        emit_json({"reviews": rows, "unmatched_cards": cards})
        return
    table = Table("id", "kind", "status", "resident", "household", "village", "visited", "officer")
    for r in rows:
        table.add_row(str(r["id"]), r["kind"], r["status"], r["name"], r["household"], r["village"] or "",
                      str(r["visited_on"]), r["officer"])
    err_console.print(table)
    err_console.print(f"{len(rows):,} reviews; {len(cards):,} card numbers seen at the door not in the register")


def _decide(review_id: int, accept: bool, note: str, json: bool) -> None:
    from everydoor.campaign.field_review import field_review_decide

    result = field_review_decide(review_id=review_id, accept=accept, actor=cli_actor(), note=note)
    if json:
        emit_json(result)
    else:
        err_console.print(f"field review {result['id']}: {result['status']} ({result['kind']}, resident "
                          f"{result['person_id']})")


@review_app.command("accept")
@command
def field_review_accept(review_id: int = typer.Argument(..., help="The review's id (field-review list)"),
                        note: str = typer.Option("", "--note"), json: bool = typer.Option(False, "--json")) -> None:
    """Accept: the resident is marked (never deleted) and coverage stops counting them from the visit's date."""
    _decide(review_id, True, note, json)


@review_app.command("reject")
@command
def field_review_reject(review_id: int = typer.Argument(...), note: str = typer.Option("", "--note"),
                        json: bool = typer.Option(False, "--json")) -> None:
    """Reject: the register stays as it is."""
    _decide(review_id, False, note, json)


def ladder_command(app: typer.Typer) -> None:
    @app.command()
    @command
    def ladder(area: str = typer.Option(..., "--area", help="Province or commune"),
               as_of: str | None = typer.Option(None, "--as-of", help="Date (default: today)"),
               json: bool = typer.Option(False, "--json")) -> None:
        """Residents on the register -> households found at the door -> residents confirmed -> insured."""
        from rich.table import Table

        from everydoor.campaign.ladder import STEPS
        from everydoor.campaign.ladder import ladder as run
        from everydoor.core.dates import parse_iso, today
        from everydoor.geo.selectors import area_resolve

        result = run(area=area_resolve(area), as_of=parse_iso(as_of, field="--as-of") if as_of else today())
        if json:
            emit_json(result)
            return
        table = Table("area", *STEPS, title=f"{result['area']} on {result['as_of']}")
        for row in [result["total"], *result["communes"]]:
            table.add_row(row["name"], *(f"{row[k]:,}" for k in STEPS))
        err_console.print(table)
