"""What every command shares: Django start-up, JSON output, one-line errors, progress."""

import functools
import json
import os
import sys
from collections.abc import Callable

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err_console = Console(stderr=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")
    import django

    django.setup()


def emit_json(document) -> None:
    """Exactly one JSON document on stdout."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def command(func: Callable) -> Callable:
    """Start Django, then turn a user error into a one-line message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        setup_django()
        from everydoor.core.errors import EverydoorError

        try:
            return func(*args, **kwargs)
        except EverydoorError as exc:
            sys.stderr.write(f"error: {exc.message}\n")  # one line, never wrapped
            raise typer.Exit(1) from None

    return wrapper


def progress(disable: bool = False) -> Progress:
    """Progress bars on stderr, so stdout stays a clean JSON document."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=disable or not err_console.is_terminal,
        transient=False,
    )


def cli_actor() -> str:
    return f"cli:{os.environ.get('USER', 'unknown')}"
