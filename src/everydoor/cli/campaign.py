"""`everydoor officers import`, `everydoor targets allocate|set|lock|unlock|show`."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from everydoor.cli.common import cli_actor, command, emit_json, err_console

officers_app = typer.Typer(no_args_is_help=True)
targets_app = typer.Typer(no_args_is_help=True)

_AREA = "Province, agency unit, commune or village: name or code"
_DUE = "The campaign's due date (default: the latest campaign)"


def _date(value: str | None, field: str):
    from everydoor.core.dates import parse_iso

    return parse_iso(value, field=field) if value else None


def _subject(area: str | None, unit: str | None, officer: str | None, village: str | None) -> dict:
    """--area | --unit | --officer [--village], exactly one of the first three."""
    from everydoor.campaign.targets import officer_resolve
    from everydoor.core.errors import ErrorCode, EverydoorError
    from everydoor.coverage.selectors import area_resolve_any
    from everydoor.coverage.services import plan_subject_resolve
    from everydoor.geo.selectors import area_resolve

    if sum(x is not None for x in (area, unit, officer)) != 1:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "name exactly one of --area, --unit or --officer")
    if village is not None and officer is None:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "--village goes with --officer")
    if officer is not None:
        return {"officer": officer_resolve(officer), "village": area_resolve(village) if village else None}
    return {"area": plan_subject_resolve(unit) if unit else area_resolve_any(area)}


@officers_app.command("import")
@command
def officers_import_cmd(
        file: Annotated[Path, typer.Argument(help="CSV or XLSX: username, full_name, unit_code, villages, phone")],
        as_of: str | None = typer.Option(None, "--as-of", help="Date the assignments start (default: today)"),
        json: bool = typer.Option(False, "--json")) -> None:
    """Create or update officers and date their villages' assignments; all rows or none."""
    from everydoor.campaign.officers import officers_import
    from everydoor.core.dates import today

    result = officers_import(file, as_of=_date(as_of, "--as-of") or today(), actor=cli_actor())
    if json:
        emit_json(result)
        return
    err_console.print(f"{result['officers']} officers from {result['file']} ({result['created']} new, "
                      f"{result['updated']} updated); assignments from {result['as_of']}: "
                      f"{result['assignments_opened']} opened, {result['assignments_closed']} closed")
    if result["passwords_to_set"]:
        err_console.print(f"{result['passwords_to_set']} new accounts have no password yet: set one for each "
                          "before they can sign in (everydoor user password USERNAME)")


@targets_app.command("allocate")
@command
def targets_allocate_cmd(
        area: str = typer.Option(..., "--area", help="Province or commune: name or code"),
        goal_rate: str = typer.Option(..., "--goal-rate", help="Share of residents with a card, e.g. 0.965"),
        by: str = typer.Option(..., "--by", help="Due date, e.g. 2025-12-31"),
        decision: str = typer.Option("", "--decision", help='e.g. "462/QĐ-BHXH"'),
        as_of: str | None = typer.Option(None, "--as-of", help="Coverage facts of the latest date on or before (default: today)"),
        json: bool = typer.Option(False, "--json")) -> None:
    """Split the cards still needed to reach the goal over units, communes, villages and officers."""
    from everydoor.campaign.targets import targets_allocate
    from everydoor.geo.selectors import area_resolve

    result = targets_allocate(area=area_resolve(area), goal_rate=goal_rate, due=_date(by, "--by"),
                              decision=decision, as_of=_date(as_of, "--as-of"), actor=cli_actor())
    if json:
        emit_json(result)
        return
    err_console.print(
        f"{result['area']}: {result['goal_rate']:.1%} of {result['residents']:,} residents by {result['due']} "
        f"({result['decision'] or 'no decision'}) = {result['goal_cards']:,} cards; {result['cards']:,} on "
        f"{result['baseline_date']}: {result['target']:,} still needed, spread over {result['targets']:,} targets "
        f"({result['locked_kept']} locked kept)")


@targets_app.command("set")
@command
def targets_set_cmd(value: int = typer.Option(..., "--value", help="Cards to gain"),
                    area: str | None = typer.Option(None, "--area", help=_AREA),
                    unit: str | None = typer.Option(None, "--unit", help="Agency unit code"),
                    officer: str | None = typer.Option(None, "--officer", help="Officer's username"),
                    village: str | None = typer.Option(None, "--village", help="The officer's village"),
                    by: str | None = typer.Option(None, "--by", help=_DUE),
                    json: bool = typer.Option(False, "--json")) -> None:
    """Set one target and lock it; its subtree and unlocked siblings are spread again."""
    from everydoor.campaign.selectors import target_one
    from everydoor.campaign.targets import target_set

    target = target_one(**_subject(area, unit, officer, village), due=_date(by, "--by"))
    result = target_set(target, value=value, actor=cli_actor())
    if json:
        emit_json(result)
    else:
        err_console.print(f"{result['name']}: {result['old']:,} -> {result['new']:,} (locked); "
                          f"{result['others_changed']} other targets spread again")


def _lock(locked: bool, area, unit, officer, village, by, json) -> None:
    from everydoor.campaign.selectors import target_one
    from everydoor.campaign.targets import target_lock

    target = target_one(**_subject(area, unit, officer, village), due=_date(by, "--by"))
    result = target_lock(target, locked=locked, actor=cli_actor())
    if json:
        emit_json(result)
    else:
        err_console.print(f"target {result['value']:,} ({result['level']}) {'locked' if locked else 'unlocked'}")


@targets_app.command("lock")
@command
def targets_lock_cmd(area: str | None = typer.Option(None, "--area", help=_AREA),
                     unit: str | None = typer.Option(None, "--unit", help="Agency unit code"),
                     officer: str | None = typer.Option(None, "--officer", help="Officer's username"),
                     village: str | None = typer.Option(None, "--village", help="The officer's village"),
                     by: str | None = typer.Option(None, "--by", help=_DUE),
                     json: bool = typer.Option(False, "--json")) -> None:
    """Lock a target: re-allocation keeps it."""
    _lock(True, area, unit, officer, village, by, json)


@targets_app.command("unlock")
@command
def targets_unlock_cmd(area: str | None = typer.Option(None, "--area", help=_AREA),
                       unit: str | None = typer.Option(None, "--unit", help="Agency unit code"),
                       officer: str | None = typer.Option(None, "--officer", help="Officer's username"),
                       village: str | None = typer.Option(None, "--village", help="The officer's village"),
                       by: str | None = typer.Option(None, "--by", help=_DUE),
                       json: bool = typer.Option(False, "--json")) -> None:
    """Unlock a target: the next spread may change it."""
    _lock(False, area, unit, officer, village, by, json)


@targets_app.command("show")
@command
def targets_show_cmd(area: str | None = typer.Option(None, "--area", help=_AREA),
                     officer: str | None = typer.Option(None, "--officer", help="Officer's username"),
                     by: str | None = typer.Option(None, "--by", help=_DUE),
                     json: bool = typer.Option(False, "--json")) -> None:
    """A target and its children's, with the campaign's decision, due and baseline dates."""
    from everydoor.campaign.selectors import targets_show

    subject = _subject(area, None, officer, None)
    subject.pop("village", None)
    result = targets_show(**subject, due=_date(by, "--by"))
    if json:
        emit_json(result)
        return
    campaign, node = result["campaign"], result["target"]
    err_console.print(f"{campaign['area']}: {campaign['goal_rate']:.1%} by {campaign['due']} "
                      f"({campaign['decision'] or 'no decision'}), baseline {campaign['baseline_date']}")
    table = Table("level", "name", "target", "uninsured", "locked", title=f"{node['name']}: {node['value']:,} cards")
    for row in result["children"]:
        name = f"{row['name']} ({row['village']})" if row["level"] == "officer" else row["name"]
        table.add_row(row["level"], name, f"{row['value']:,}", f"{row['uninsured']:,}", "yes" if row["locked"] else "")
    err_console.print(table)


_PROGRESS_COLUMNS = ("target", "cards_gained", "visits", "households_reached", "promised", "enrolled", "confirmed",
                     "follow_ups_due", "follow_ups_overdue")
_PROGRESS_HEADERS = ("target", "gained", "visits", "households", "promised", "enrolled", "confirmed", "due",
                     "overdue")


def progress_cmd(area: str | None = typer.Option(None, "--area", help=_AREA),
                 officer: str | None = typer.Option(None, "--officer", help="Officer's username"),
                 as_of: str | None = typer.Option(None, "--as-of", help="Date (default: today)"),
                 by: str | None = typer.Option(None, "--by", help=_DUE),
                 json: bool = typer.Option(False, "--json")) -> None:
    """Target, cards gained since the baseline, visits, the funnel, refusals and follow-ups, province to officer."""
    from everydoor.campaign.progress import progress_report

    subject = _subject(area, None, officer, None)
    subject.pop("village", None)
    result = progress_report(**subject, as_of=_date(as_of, "--as-of"), due=_date(by, "--by"))
    if json:
        emit_json(result)
        return
    node = result["progress"]
    err_console.print(f"{node['name']} on {result['as_of']} (cards as of {result['facts_date']}, baseline "
                      f"{result['campaign']['baseline_date']}); refusals: "
                      + ", ".join(f"{r} {node[f'refused_{r}']}" for r in ("cost", "no_benefit", "distrust", "other")))
    table = Table("name", *_PROGRESS_HEADERS)
    for row in [node, *node.get("children", [])]:
        # under an officer, a row per village; under a village, a row per officer
        name = row["village"] if officer and row is not node else row["name"]
        table.add_row(name, *(f"{row[c]:,}" for c in _PROGRESS_COLUMNS))
    err_console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(officers_app, name="officers", help="Field officers and their villages.")
    app.add_typer(targets_app, name="targets", help="The campaign's targets, from province to officer.")
    app.command("progress")(command(progress_cmd))
