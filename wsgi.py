"""WSGI entry point: ``flask --app wsgi ...`` or ``waitress-serve wsgi:app``."""
from core import create_app

app = create_app()
