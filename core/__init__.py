"""The Gentou host: knows no plugin by name."""
from core.app import create_app

__all__ = ["create_app"]
