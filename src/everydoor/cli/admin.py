"""Database and server commands."""

import typer

from everydoor.cli.common import command


def register(app: typer.Typer) -> None:
    @app.command()
    @command
    def migrate() -> None:
        """Create or upgrade the database tables."""
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        typer.echo("database is up to date", err=True)

    @app.command()
    @command
    def serve(host: str = "127.0.0.1", port: int = 8000,
              workers: int = typer.Option(2, help="Processes (one per core)"),
              threads: int = typer.Option(8, help="Threads per process")) -> None:
        """Serve the web app on an existing database (gunicorn; static files through whitenoise)."""
        from everydoor.web.server import serve as run_server

        run_server(host=host, port=port, workers=workers, threads=threads)
