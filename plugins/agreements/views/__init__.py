"""Pages of the agreements module."""
from flask import Blueprint, Response

bp = Blueprint("agreements", __name__, template_folder="../templates")


def pdf_response(data: bytes, filename: str, inline: bool) -> Response:
    from urllib.parse import quote
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"{disposition}; filename=agreement.pdf; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store"})


from plugins.agreements.views import admin, partner, staff, verify  # noqa: E402,F401
