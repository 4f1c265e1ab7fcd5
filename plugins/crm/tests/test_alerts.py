"""Failing sync jobs tell the admins once per run of failures of their company, on a real RQ worker against
the fake CRM: a CRM that is down for many jobs makes one notice, a payment that goes through ends the run,
a run that lasts is recalled after a day; every failed record keeps its own reason, scrubbed of secrets."""
import datetime as dt

from core.extensions import db
from core.i18n import shown, translations_for
from core.models import Notice, NoticeBatch
from core.tenancy import tenant
from plugins.crm import services
from plugins.crm.models import CrmAlert
from plugins.crm.tests import fake_crm as F
from plugins.crm.tests.conftest import configure, confirm, rows, run_due_now, run_worker

CREATE = "/cgi/crm/v2/data/create"


def notices(app, world, group="group", lang=None) -> list[tuple[str, str]]:
    """The company's sync-failure notices (title, body of its first recipient's), oldest first; ``lang``:
    as a reader of that language sees them."""
    with app.app_context(), tenant(world[group]):
        batches = db.session.scalars(db.select(NoticeBatch).where(NoticeBatch.kind == "crm.sync_failed")
                                     .order_by(NoticeBatch.id)).all()
        found = [db.session.scalar(db.select(Notice).where(Notice.batch_id == b.id).limit(1)) for b in batches]
        if lang is None:
            return [(n.title, n.body) for n in found]
        catalogue = translations_for(lang)
        return [(shown(n.texts["title"], n.title, catalogue), shown(n.texts["body"], n.body, catalogue)) for n in found]


def test_a_crm_that_is_down_tells_each_companys_admins_once_not_once_a_job(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_BACKOFF", (30.0,))  # one retry, then the record fails
    fake = world["fake"]
    fake.fail_next(F.TOKEN_PATH, *[503] * 8)  # down: four jobs, two attempts each
    for amount in ("100", "200", "300"):
        confirm(app, world, amount)
    confirm(app, world, "400", group="b_group", subscription="b_subscription")
    run_worker(app)
    assert [r.state for r in rows(app, world)] == ["pending"] * 3 and notices(app, world) == []
    run_due_now(app, fake)
    for group in ("group", "b_group"):
        failed = rows(app, world, group)
        assert {r.state for r in failed} == {"failed"} and all("HTTP 503" in r.last_error for r in failed)
        [(title, body)] = notices(app, world, group)
        assert title == "CRM 回款同步失败：1 条" and "HTTP 503" in body and "不再逐条通知" in body
    [(title, body)] = notices(app, world, lang="en")
    assert title == "CRM payment sync failed: 1" and "HTTP 503" in body and "Until syncing works again" in body
    assert fake.count(F.TOKEN_PATH) == 8


def test_a_payment_that_goes_through_ends_the_run_and_the_next_failure_is_news(app, world):
    fake = world["fake"]
    secret = f"appSecret={F.APP_SECRET}"
    fake.fail_next(CREATE, F.error(320002500, f"客户名称关联关系不存在 {secret}"))
    confirm(app, world, "1")
    run_worker(app)
    fake.fail_next(CREATE, F.error(320002500, "客户名称关联关系不存在"), None, F.error(320001401, "金额不合法"),
                   F.error(320001401, "金额不合法"))
    for amount in ("2", "3", "4", "5"):  # a job each: 2 fails (run goes on), 3 goes through, 4 and 5 fail
        confirm(app, world, amount)
    run_worker(app)
    states = [(str(r.amount), r.state) for r in rows(app, world)]
    assert states == [("1.00", "failed"), ("2.00", "failed"), ("3.00", "synced"), ("4.00", "failed"),
                      ("5.00", "failed")]
    assert [body.split("\n")[0] for _title, body in notices(app, world)] == [
        "CRM: 客户名称关联关系不存在 appSecret=*** (320002500)", "CRM: 金额不合法 (320001401)"]
    stored = " ".join(r.last_error for r in rows(app, world)) + " ".join(b for _t, b in notices(app, world))
    assert F.APP_SECRET not in stored and rows(app, world)[0].last_error.endswith("appSecret=*** (320002500)")
    # A day later the run still goes on: the next failure reminds them, once.
    with app.app_context(), tenant(world["group"]):
        alert = db.session.scalar(db.select(CrmAlert))
        assert alert.failing_since is not None
        alert.notified_at -= dt.timedelta(seconds=services.REMIND + 60)
        db.session.commit()
    fake.fail_next(CREATE, *[F.error(320001401, "金额不合法")] * 2)
    confirm(app, world, "6")
    confirm(app, world, "7")
    run_worker(app)
    assert len(notices(app, world)) == 3 and notices(app, world, "b_group") == []


def test_a_job_failing_row_after_row_tells_once_with_every_row_kept(app, world):
    """Bad credentials: every job fails at once (a permanent error), each record keeping the reason."""
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, app_secret="wrong-secret-value")
        db.session.commit()
    for amount in ("10", "20", "30", "40"):
        confirm(app, world, amount)
    run_worker(app)
    reason = "CRM 的 appId、appSecret 或永久授权码不正确 (20001)"
    assert [(r.state, r.last_error) for r in rows(app, world)] == [("failed", reason)] * 4
    assert len(notices(app, world)) == 1


def test_two_worker_processes_failing_at_once_tell_once(app, world):
    from plugins.crm.tests.conftest import run_worker_processes
    with app.app_context(), tenant(world["group"]):
        configure(world["group"], world["fake"].url, app_secret="wrong-secret-value")
        db.session.commit()
    for n in range(8):
        confirm(app, world, f"{n + 1}")
    outputs = run_worker_processes(2)
    assert [r.state for r in rows(app, world)] == ["failed"] * 8, outputs
    assert len(notices(app, world)) == 1, outputs
