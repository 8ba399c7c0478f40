"""The `everydoor` command: one module per command group, each calling services only."""

import typer

from everydoor.cli import (
    admin,
    campaign,
    coverage,
    demo,
    fieldwork,
    imports,
    lapses,
    linkage,
    registry,
    rules,
    users,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="everydoor: registers, coverage and field work.")
app.add_typer(imports.app, name="import", help="Import administrative units and registers.")
app.add_typer(registry.quarantine_app, name="quarantine", help="Rows rejected by imports.")
app.add_typer(demo.app, name="demo", help="The synthetic Lào Cai demo.")
app.add_typer(users.app, name="user", help="Web app accounts: role and area.")
registry.register(app)
admin.register(app)
rules.register(app)
coverage.register(app)
linkage.register(app)
fieldwork.register(app)
campaign.register(app)
lapses.register(app)
lapses.register_forecast(app)
lapses.register_reminders(app)


def main() -> None:
    app()
