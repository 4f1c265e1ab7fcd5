"""Security headers on every response (pages, errors, static files, downloads).

Everything the app shows comes from itself: no inline script or style attribute, no outside host.
Bootstrap draws its icons from ``data:`` SVGs, hence ``img-src data:``.
"""
from flask import Flask

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; base-uri 'self'; form-action 'self'; "
                           "frame-ancestors 'none'")


def install(app: Flask) -> None:
    headers = {
        "Content-Security-Policy": app.config.get("CONTENT_SECURITY_POLICY") or CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    @app.after_request
    def _security_headers(response):
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
