"""Serving the app with gunicorn: pre-forked worker processes with threads, static files through whitenoise.

gunicorn rather than waitress: waitress serves from one process, so one Python interpreter (one core
under the GIL) renders every page; gunicorn's workers use both cores of the agency's machines.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from everydoor.core.errors import ErrorCode, EverydoorError


def _database_ready() -> None:
    """Refuse to serve a database whose tables are behind the code: a clear message, not failing pages."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise EverydoorError(ErrorCode.INVALID_INPUT, "the database is not up to date: run `everydoor migrate` first")
    connections.close_all()  # the workers are forked: none may inherit this connection


def _views_imported() -> None:
    """Import every view before the workers are forked. Django imports the URL conf on the first request,
    so each worker paid for it then (2 s of CPU here, the charts' altair most of it) while that request and
    the ones behind it waited; imported here, the workers start ready and share those modules' memory."""
    from django.urls import get_resolver

    get_resolver().resolve("/api/v1/health")


def serve(*, host: str, port: int, workers: int = 2, threads: int = 8) -> None:
    from gunicorn.app.base import BaseApplication

    from everydoor.config.wsgi import application

    _views_imported()
    _database_ready()

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                               "worker_class": "gthread", "timeout": 120, "accesslog": "-",
                               "errorlog": "-", "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    Server().run()
