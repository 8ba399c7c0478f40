"""`everydoor check-id`, `premium`, `vsi` and `eligibility`: the rules and the card look-up."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from everydoor.cli.common import cli_actor, command, emit_json

out = Console()


class Sex(StrEnum):
    M = "M"
    F = "F"


class VsiGroup(StrEnum):
    poor = "poor"
    near_poor = "near_poor"
    ethnic_minority = "ethnic_minority"
    other = "other"


def _date(value: str | None, field: str) -> dt.date:
    from everydoor.core.dates import parse_iso

    return parse_iso(value, field=field) if value else dt.date.today()


def _share(value) -> float:
    return float(value)


def _table(title: str, rows: dict) -> Table:
    table = Table(title=title, show_header=False)
    for key, value in rows.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
    return table


def register(app: typer.Typer) -> None:
    @app.command("check-id")
    @command
    def check_id(value: str = typer.Argument(..., help="12-digit personal ID, 10-digit SI code or 15-character card number"),
                 sex: Annotated[Sex | None, typer.Option("--sex", help="Sex on the record, checked against the ID")] = None,
                 birth_year: int | None = typer.Option(None, "--birth-year", help="Birth year on the record"),
                 on: str | None = typer.Option(None, "--on", help="Date for the card's group/level check (default today)"),
                 json: bool = typer.Option(False, "--json")) -> None:
        """Check an identifier: shape, province code, century/sex, group and level."""
        from everydoor.rules.identifiers import check_identifier

        result = check_identifier(value, sex=sex.value if sex else None, birth_year=birth_year,
                                  on=_date(on, "--on"))
        document = {"kind": result.kind, "valid": result.valid, "errors": result.errors,
                    "warnings": result.warnings, "parts": result.parts}
        if json:
            emit_json(document)
            return
        out.print(_table(f"{result.kind}: {result.value}", {
            "valid": "yes" if result.valid else "NO", "errors": ", ".join(result.errors) or "-",
            "warnings": ", ".join(result.warnings) or "-", **result.parts}))

    @app.command()
    @command
    def premium(member: Annotated[list[str], typer.Option("--member", help="Group code of each member, in joining "
                                                                 "order; GD+village_health_worker claims a support category")],
                on: str = typer.Option(..., "--on", help="Date of payment, YYYY-MM-DD"),
                months: int = typer.Option(12, "--months", help="3, 6 or 12"),
                province: str | None = typer.Option(None, "--province", help="Province code, for provincial top-ups"),
                json: bool = typer.Option(False, "--json")) -> None:
        """Health-insurance premium of a household's members on a date."""
        from everydoor.rules.premium import household_premium

        result = household_premium(_date(on, "--on"), member, months=months, province=province)
        members = [{"group": m.group, "payer_group": m.payer_group, "position": m.position,
                    "household_share": _share(m.household_share) if m.household_share is not None else None,
                    "monthly_gross": m.monthly_gross, "support_share": _share(m.support_share),
                    "monthly_support": m.monthly_support, "monthly_net": m.monthly_net,
                    "gross": m.gross, "support": m.support, "net": m.net} for m in result.members]
        document = {"on": result.on.isoformat(), "base_salary": result.base_salary,
                    "hi_rate": _share(result.hi_rate), "months": result.months, "members": members,
                    "total_gross": result.total_gross, "total_support": result.total_support,
                    "total_net": result.total_net, "sources": list(result.sources)}
        if json:
            emit_json(document)
            return
        table = Table("#", "group", "payer", "position", "monthly", "support", "monthly net",
                      f"net ({result.months} months)",
                      title=f"Premium on {result.on} (base salary {result.base_salary:,} VND)")
        for i, m in enumerate(members, 1):
            table.add_row(str(i), m["group"], m["payer_group"], str(m["position"] or "-"),
                          f"{m['monthly_gross']:,}", f"{m['support_share']:.0%}", f"{m['monthly_net']:,}",
                          f"{m['net']:,}")
        table.add_row("", "total", "", "", "", f"{result.total_support:,}", "", f"{result.total_net:,}")
        out.print(table)
        out.print("sources: " + "; ".join(result.sources), style="dim")

    @app.command()
    @command
    def vsi(on: str = typer.Option(..., "--on", help="Date of payment, YYYY-MM-DD"),
            income: int = typer.Option(..., "--income", help="Monthly income chosen, VND"),
            group: Annotated[VsiGroup, typer.Option("--group")] = VsiGroup.other,
            months: int = typer.Option(1, "--months"),
            supported_before: int = typer.Option(0, "--supported-before",
                                                 help="Months of support already received"),
            json: bool = typer.Option(False, "--json")) -> None:
        """Voluntary social insurance: contribution, state support and net."""
        from everydoor.rules.vsi import vsi_contribution

        r = vsi_contribution(_date(on, "--on"), income, group.value, months=months,
                             supported_months_before=supported_before)
        document = {"on": r.on.isoformat(), "income": r.income, "group": r.group, "months": r.months,
                    "rate": _share(r.rate), "floor": r.floor, "ceiling": r.ceiling,
                    "support_share": _share(r.support_share), "supported_months": r.supported_months,
                    "monthly_contribution": r.monthly_contribution, "monthly_support": r.monthly_support,
                    "contribution": r.contribution, "support": r.support, "net": r.net,
                    "sources": list(r.sources)}
        if json:
            emit_json(document)
            return
        out.print(_table(f"Voluntary social insurance on {r.on}",
                         {k: v for k, v in document.items() if k != "sources"}))

    @app.command()
    @command
    def eligibility(value: str = typer.Argument(..., help="Personal ID, SI code or card number"),
                    on: str | None = typer.Option(None, "--on", help="Date of treatment (default today)"),
                    json: bool = typer.Option(False, "--json")) -> None:
        """Is a card or a person covered on a date, and at which benefit level? (audited)"""
        from everydoor.registry.eligibility import eligibility_check

        answer = eligibility_check(value=value, on=_date(on, "--on"), actor=cli_actor())
        if json:
            emit_json(answer)
            return
        out.print(_table(f"Eligibility of {value.strip()}", {k: "-" if v is None else v for k, v in answer.items()}))
