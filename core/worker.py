"""``flask --app wsgi gentou worker``: an RQ worker that runs each job in a fresh app context.

It also runs the outbox sweeper (the safety net for lost jobs) every ``SWEEP_INTERVAL`` seconds;
a Redis lock makes one worker at a time do it, however many run.
"""
from __future__ import annotations

import logging
import threading

import click
import redis
from flask import current_app
from rq import SimpleWorker


log = logging.getLogger("gentou.worker")


class AppWorker(SimpleWorker):
    """Runs jobs in this process, each inside its own app context (and so its own DB session)."""

    flask_app = None

    def execute_job(self, job, queue):
        with self.flask_app.app_context():
            return super().execute_job(job, queue)


def sweep_once(app, connection) -> int | None:
    """Sweep if no other worker holds the lock for this interval; the count re-enqueued, or None."""
    interval = app.config["SWEEP_INTERVAL"]
    if not connection.set("gentou:sweeper", "1", nx=True, ex=max(1, int(interval))):
        return None
    from core.outbox import sweep
    with app.app_context():
        return sweep()


def _sweeper(app, connection, stop: threading.Event) -> None:
    while not stop.wait(app.config["SWEEP_INTERVAL"]):
        try:
            count = sweep_once(app, connection)
            if count:
                log.info("sweeper re-enqueued %s notices", count)
        except Exception:  # keep sweeping through passing database or Redis trouble
            log.exception("sweep failed")


def make_worker(app, connection) -> AppWorker:
    worker = AppWorker([app.config["RQ_QUEUE"]], connection=connection)
    worker.flask_app = app
    return worker


@click.command("worker")
@click.option("--burst", is_flag=True, help="exit when the queue is empty")
def worker_command(burst):
    """Run an RQ worker (needs REDIS_URL)."""
    app = current_app._get_current_object()
    url = app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run in the web process")
    connection = redis.Redis.from_url(url)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweeper, args=(app, connection, stop), daemon=True).start()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        make_worker(app, connection).work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
