"""`everydoor demo` (build and serve the demo province) and `everydoor demo generate`."""

from pathlib import Path

import typer

from everydoor.cli.common import command, emit_json, err_console

app = typer.Typer(invoke_without_command=True)


@app.command()
@command
def generate(out: Path = typer.Option(..., "--out", help="Folder to write the files into"),
             scale: float = typer.Option(1.0, help="1 = the full province (1.67M residents)"),
             seed: int = typer.Option(2025, help="Same seed, same files"),
             fmt: str = typer.Option("csv", "--format", help="csv or parquet"),
             json: bool = typer.Option(False, "--json")) -> None:
    """Write a synthetic Lào Cai: population, cards, ground truth, plans, agency units."""
    from everydoor.demo.generate import generate as run

    manifest = run(out, scale=scale, seed=seed, fmt=fmt)
    if json:
        emit_json(manifest)
    else:
        err_console.print(f"wrote {out}: " + ", ".join(f"{k}={v}" for k, v in manifest.items()
                                                        if isinstance(v, int | float)))
