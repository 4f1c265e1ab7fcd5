"""The approval processes of the changes: 资金峰值调整, 立项信息变更, 事业合伙补充立项, 新增合伙 (all 循环).

Each process belongs to the project's open round of its kind: it is started for that round, stored
on it when it starts, and on approval writes the round's figures (``services.approve``).
"""
from __future__ import annotations

from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l

from core.extensions import db
from core.processes.kinds import Field, ProcessKind
from core.processes.models import PASSED, RUNNING, ProcessInstance
from core.processes.service import ProcessError
from plugins.adjustment import services
from plugins.adjustment.models import NEW_PARTNERS, PEAK, SUPPLEMENTARY, Round


def _money(value) -> str:
    return f"{value:,.2f}" if value is not None else ""


def running(process_id) -> bool:
    return process_id is not None and db.session.scalar(
        db.select(ProcessInstance.state).where(ProcessInstance.id == process_id)) == RUNNING


def _peak_requires(project):
    round_ = services.open_round(project.id, PEAK)
    if round_ is None:
        return _("请先在立项调整中填写新资金峰值")
    if services.peak_approved(round_) or running(round_.peak_process_id):
        return _("%(round)s的资金峰值调整已发起", round=round_.label)
    return None


def _peak_started(instance, user):
    round_ = services.open_round(instance.project_id, PEAK)
    round_.peak_process_id = instance.id


def _reviewed(kind: str):
    def requires(project):
        round_ = services.open_round(project.id, kind)
        if round_ is None or services.review_state(round_) != PASSED:
            return _("须先完成：%(label)s", label=_("立项调整审核"))
        if running(round_.process_id):
            return _("%(label)s已发起，不能重复发起", label=services.APPROVING_LABELS[kind])
        return None
    return requires


def _started(kind: str):
    def on_start(instance, user):
        round_ = services.open_round(instance.project_id, kind)
        services._set(round_, str(round_), process_id=instance.id)
    return on_start


def _approved(kind: str):
    def on_approve(instance):
        round_ = db.session.scalar(db.select(Round).where(Round.process_id == instance.id, Round.kind == kind))
        if round_ is not None:
            try:
                services.approve(instance, round_)
            except services.AdjustmentError as exc:  # refused: the decision and everything of it roll back
                raise ProcessError(str(exc)) from exc
    return on_approve


def _round_value(kind: str, read):
    def prefill(project):
        round_ = services.open_round(project.id, kind)
        return read(round_, project) if round_ else ""
    return prefill


def _lines_total(round_, project) -> str:
    return _money(sum((r.difference for r in services.lines(round_.id)), services.ZERO))


def _changed(round_, project) -> str:
    return str(sum(1 for r in services.lines(round_.id) if r.difference))


KINDS = [
    ProcessKind(code=services.PEAK_CHANGE, label=_l("资金峰值调整"), weight=30, repeatable=True, fields=(
        Field("old_peak", _l("原资金峰值"), "readonly", prefill=_round_value(PEAK, lambda r, p: _money(r.old_peak))),
        Field("new_peak", _l("新资金峰值"), "readonly", prefill=_round_value(PEAK, lambda r, p: _money(r.new_peak)),
              required=True),
        Field("shareholders", _l("新股东信息"), "readonly",
              prefill=_round_value(PEAK, lambda r, p: services.shareholders_text(r.shareholders))),
        Field("note", _l("调整说明"), "readonly", prefill=_round_value(PEAK, lambda r, p: r.note)),
    ), requires=_peak_requires, on_start=_peak_started),
    ProcessKind(code=services.INITIATION_CHANGE, label=_l("立项信息变更"), weight=31, repeatable=True, fields=(
        Field("old_peak", _l("原资金峰值"), "readonly", prefill=_round_value(PEAK, lambda r, p: _money(r.old_peak))),
        Field("new_peak", _l("新资金峰值"), "readonly", prefill=_round_value(PEAK, lambda r, p: _money(r.new_peak)),
              required=True),
        Field("changed", _l("投资变动人数"), "readonly", prefill=_round_value(PEAK, _changed)),
        Field("difference", _l("投资变动合计"), "readonly", prefill=_round_value(PEAK, _lines_total)),
    ), requires=_reviewed(PEAK), on_start=_started(PEAK), on_approve=_approved(PEAK)),
    ProcessKind(code=services.SUPPLEMENTARY_INITIATION, label=_l("事业合伙补充立项"), weight=32, repeatable=True,
                fields=(
        Field("round", _l("补投轮次"), "readonly", prefill=_round_value(SUPPLEMENTARY, lambda r, p: r.label),
              required=True),
        Field("changed", _l("补投人数"), "readonly", prefill=_round_value(SUPPLEMENTARY, _changed)),
        Field("difference", _l("补投合计"), "readonly", prefill=_round_value(SUPPLEMENTARY, _lines_total)),
    ), requires=_reviewed(SUPPLEMENTARY), on_start=_started(SUPPLEMENTARY), on_approve=_approved(SUPPLEMENTARY)),
    ProcessKind(code=services.NEW_PARTNERS_INITIATION, label=_l("新增合伙"), weight=33, repeatable=True, fields=(
        Field("round", _l("新增合伙轮次"), "readonly", prefill=_round_value(NEW_PARTNERS, lambda r, p: r.label),
              required=True),
        Field("source", _l("份额来源"), "readonly",
              prefill=_round_value(NEW_PARTNERS, lambda r, p: r.source_label or _("新增资金"))),
        Field("changed", _l("新合伙人数"), "readonly", prefill=_round_value(NEW_PARTNERS, _changed)),
        Field("difference", _l("新合伙投资合计"), "readonly", prefill=_round_value(NEW_PARTNERS, _lines_total)),
    ), requires=_reviewed(NEW_PARTNERS), on_start=_started(NEW_PARTNERS), on_approve=_approved(NEW_PARTNERS)),
]
