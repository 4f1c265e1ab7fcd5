"""Gentou plugins: one package per module, each with a __manifest__.py."""
