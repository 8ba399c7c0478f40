"""`everydoor demo` (build and serve the demo province) and `everydoor demo generate`."""

from pathlib import Path

import typer

from everydoor.cli.common import command, emit_json, err_console

app = typer.Typer()
DEFAULT_DIR = Path("var/demo")


@app.callback(invoke_without_command=True)
def demo(ctx: typer.Context,
         scale: float = typer.Option(1.0, help="1 = the full province (1.67M residents)"),
         seed: int = typer.Option(2025),
         out: Path = typer.Option(DEFAULT_DIR, "--out", help="Where the demo files are written"),
         serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app when built"),
         port: int = typer.Option(8000)) -> None:
    """Build the demo province end to end, then serve it on 127.0.0.1."""
    if ctx.invoked_subcommand is None:
        _build_and_serve(scale=scale, seed=seed, out=out, serve=serve, port=port)


@command
def _build_and_serve(*, scale: float, seed: int, out: Path, serve: bool, port: int) -> None:
    from everydoor.demo.build import DEMO_PASSWORD, demo_build
    from everydoor.demo.field import demo_logins

    result = demo_build(out_dir=out, scale=scale, seed=seed, step=lambda m: err_console.print(m, highlight=False))
    err_console.print(f"demo built in {result['total_s']} s: {result['timings_s']}")
    err_console.print(demo_logins(DEMO_PASSWORD), highlight=False)
    if serve:
        err_console.print(f"open http://127.0.0.1:{port}/ and log in as [bold]demo[/bold] / "
                          f"[bold]{DEMO_PASSWORD}[/bold] (province), muongbo / {DEMO_PASSWORD} (one commune)")
        from everydoor.web.server import serve as run_server

        run_server(host="127.0.0.1", port=port)


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
