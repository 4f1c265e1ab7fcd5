"""Serve a fake of an outside service on 127.0.0.1 over real HTTP, in a thread (as fake_dingtalk does).

A fake subclasses ``FakeService`` and writes its routes as methods ``route(request, body)`` returning
``(status, JSON)`` or a JSON dict, registered in ``routes`` by (method, path). The base records every
call, can fail the next calls of a path (an HTTP status or a JSON answer), and can answer late (the
call takes effect, the answer comes after the client's timeout).
"""
from __future__ import annotations

import json
import threading
import time

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class Serving:
    """Runs a WSGI app on a free port of 127.0.0.1 in a daemon thread: ``url`` once started."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.server, self.url = wsgi_app, None, ""

    def start(self) -> str:
        self.server = make_server("127.0.0.1", 0, self.wsgi_app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        return self.url

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class FakeService:
    """Base of a fake: ``routes`` = {(method, path): handler name}; a handler gets (request, body) and
    returns a dict (HTTP 200) or (status, dict). ``prefix_routes`` match by path prefix (ids in paths)."""

    routes: dict[tuple[str, str], str] = {}
    prefix_routes: dict[tuple[str, str], str] = {}

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str, dict, object]] = []  # (method, path, query, JSON body)
        self.failures: dict[str, list] = {}
        self.late: dict[str, list[float]] = {}
        self.serving = Serving(self)
        self.url = ""

    def start(self) -> str:
        self.url = self.serving.start()
        return self.url

    def stop(self) -> None:
        self.serving.stop()

    # Test helpers ----------------------------------------------------------------------------
    def fail_next(self, path: str, *answers) -> None:
        """The next calls of ``path`` get these answers (an HTTP status, or a JSON body; None: the real one)."""
        with self.lock:
            self.failures.setdefault(path, []).extend(answers)

    def answer_late(self, path: str, *seconds: float) -> None:
        """The next calls of ``path`` take effect at once; their answers come these seconds later."""
        with self.lock:
            self.late.setdefault(path, []).extend(seconds)

    def count(self, path: str) -> int:
        return sum(1 for _m, p, _q, _b in self.calls if p == path)

    def bodies(self, path: str) -> list:
        return [b for _m, p, _q, b in self.calls if p == path]

    def queries(self, path: str) -> list[dict]:
        return [q for _m, p, q, _b in self.calls if p == path]

    # Serving ---------------------------------------------------------------------------------
    def handler_for(self, method: str, path: str):
        name = self.routes.get((method, path))
        if name is None:
            for (m, prefix), candidate in self.prefix_routes.items():
                if m == method and path.startswith(prefix):
                    name = candidate
                    break
        return getattr(self, name) if name else None

    def before(self, request: Request):
        """A hook run for every call before its handler (e.g. a rate limit); an answer stops the call."""
        return None

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_json(silent=True) if request.method in ("POST", "PUT") else None
        path = request.path
        with self.lock:
            self.calls.append((request.method, path, dict(request.args), body))
            queued = self.failures.get(path)
            failure = queued.pop(0) if queued else None
            delays = self.late.get(path)
            delay = delays.pop(0) if delays else 0.0
        if isinstance(failure, int):
            return Response("upstream error", status=failure)(environ, start_response)
        if failure is not None:
            return self.json(failure)(environ, start_response)
        with self.lock:
            answer = self.before(request)
            if answer is None:
                handler = self.handler_for(request.method, path)
                answer = handler(request, body) if handler else (404, {"message": "not found"})
        time.sleep(delay)  # it has acted; the answer comes late
        status, data = answer if isinstance(answer, tuple) else (200, answer)
        return self.json(data, status)(environ, start_response)

    @staticmethod
    def json(data, status: int = 200) -> Response:
        return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")
