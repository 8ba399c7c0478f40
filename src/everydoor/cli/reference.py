"""The CLI reference in docs/cli.md, generated from the commands' own help (`make docs`)."""

import typer
import typer.main

from everydoor.cli.app import app


def command_paths(group=None, prefix: str = "everydoor") -> list[tuple[str, object]]:
    group = group or typer.main.get_command(app)
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if hasattr(command, "commands"):
            found.extend(command_paths(command, path))
    return found


def render() -> str:
    lines = ["# Command-line reference", "", "Generated from `--help` by `make docs`; a test keeps it in step.", ""]
    for path, command in command_paths():
        lines += [f"## `{path}`", "", (command.help or "").strip(), ""]
        options = [p for p in command.params if p.param_type_name == "option"]
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        for p in arguments:
            lines.append(f"- `{p.name.upper()}`" + (" (required)" if p.required else ""))
        for p in options:
            help_text = (p.help or "").strip()
            lines.append(f"- `{' / '.join(p.opts + p.secondary_opts)}`" + (f": {help_text}" if help_text else ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
