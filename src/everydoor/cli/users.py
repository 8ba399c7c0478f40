"""`everydoor user create|password`: accounts for the web app, each with a role and an area."""

import sys

import typer

from everydoor.cli.common import cli_actor, command, emit_json, err_console

app = typer.Typer(no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        from everydoor.core.errors import ErrorCode, EverydoorError

        raise EverydoorError(ErrorCode.INVALID_INPUT, "no terminal to ask the password on: pass it with --password-stdin")
    return typer.prompt("password", hide_input=True, confirmation_prompt=True, err=True)


@app.command()
@command
def create(name: str = typer.Argument(..., help="User name to sign in with"),
           role: str = typer.Option(..., help="province, unit_manager, officer, commune_chair or clinic"),
           area: str = typer.Option(None, help="The area: a province, commune or village, by name or code"),
           unit: str = typer.Option(None, help="Agency unit code (unit managers: their communes)"),
           full_name: str = typer.Option("", "--full-name"),
           staff: bool = typer.Option(False, "--staff", help="Provincial administrator: reads the audit trail"),
           password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
           json: bool = typer.Option(False, "--json")) -> None:
    """Create a user with a role and the area it may see."""
    from everydoor.accounts.services import user_create
    from everydoor.campaign.models import AgencyUnit
    from everydoor.core.errors import ErrorCode, EverydoorError
    from everydoor.geo.selectors import area_resolve

    place = area_resolve(area) if area else None
    agency_unit = None
    if unit:
        agency_unit = AgencyUnit.objects.filter(code=unit).first()
        if agency_unit is None:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"--unit: no agency unit with code {unit!r}")
    user = user_create(username=name, password=_password(password_stdin), role=role, area=place,
                       agency_unit=agency_unit, full_name=full_name, is_staff=staff, actor=cli_actor())
    result = {"user": user.username, "role": role, "area": place.name if place else None,
              "unit": agency_unit.code if agency_unit else None, "staff": staff}
    if json:
        emit_json(result)
    else:
        err_console.print(f"created {user.username} ({role}, {result['area'] or result['unit']})")


@app.command()
@command
def password(name: str = typer.Argument(..., help="User name"),
             password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin")) -> None:
    """Set or reset a user's password."""
    from everydoor.accounts.services import user_password_set

    user_password_set(username=name, password=_password(password_stdin), actor=cli_actor())
    err_console.print(f"password set for {name}")
