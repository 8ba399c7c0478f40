"""Serving the app: Django's threaded WSGI server, static files through whitenoise."""

from django.core.management import call_command


def serve(*, host: str, port: int) -> None:
    call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
