"""Every hook a Gentou plugin may implement.

A plugin implements hooks in its ``hooks.py`` with ``@hookimpl`` (from ``core.hookspecs``);
``create_app`` registers that module under the plugin's name and calls ``check_pending()``,
so an implementation whose name matches no spec below stops start-up.

Two kinds of hook:

* Installed-level hooks (``register_*``) are called once per process on every installed
  plugin, whatever any company enabled; they return declarations that the host applies
  (and in which it rejects duplicates). All tables exist for every tenant.
* Tenant-level hooks (``on_event``, ``module_enabled``...) are called per group company only on the plugins that
  company has enabled (``registry.hooks_for(group_id)``).

pluggy calls implementations in reverse registration order; nothing may rely on that: where
order matters the declarations carry an explicit ``weight``. An implementation may take fewer
arguments than its spec (``def register_blueprints():``); it gets only those it names.

Each spec states its parameters (``:param:``), what it returns (``:returns:``) and whether it is
``firstresult`` (the first non-None result wins) or collects every plugin's result in a list.
tests/test_hookspecs.py checks that every example defines exactly the spec's arguments.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask
    from sqlalchemy.orm import DeclarativeBase

    import datetime as dt
    from decimal import Decimal

    from core.channels import Channel
    from core.declarations import (Event, Holder, HolderMark, Job, MenuItem, ProjectLink,
                                   RequiredPartner, StakeAdjustment, StakeSource, Todo)
    from core.models import User
    from core.processes.kinds import ProcessKind
    from core.settings import Setting

PROJECT = "gentou"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_models() -> list[type[DeclarativeBase]]:
    """Return the plugin's SQLAlchemy model classes.

    Called once at start-up, before blueprints. Importing the classes declares their tables
    on ``core.extensions.db``; every table name must start with ``<plugin>_``, else start-up
    stops naming the plugin and the table.

    :returns: the model classes.
    :firstresult: no.

    Example::

        @hookimpl
        def register_models():
            from plugins.subscription.models import Subscription
            return [Subscription]
    """


@hookspec
def register_blueprints(app: Flask) -> list[Blueprint]:
    """Return the plugin's Flask blueprints (a list), given the app being built.

    Called once at start-up. A blueprint's name must be the plugin name or start with
    ``<plugin>_``; the host mounts it at ``/<plugin>`` unless it sets its own ``url_prefix``,
    answers 404 on it for every group company that has not enabled the plugin, and requires
    sign-in for its views (a view marked with ``core.auth.public`` is exempt). A public page of one
    group company names it in its rule as ``<group_code>``: the host answers 404 before the view
    runs unless that company exists, enabled the plugin and is the signed-in user's; the view
    reads it with ``core.auth.url_group()`` and checks nothing itself.

    :param app: the Flask app being built (its config is read; register nothing on it yourself).
    :returns: the blueprints.
    :firstresult: no.

    Example::

        @hookimpl
        def register_blueprints(app):
            from plugins.subscription.views import bp
            return [bp]
    """


@hookspec
def register_menu() -> list[MenuItem]:
    """Return ``core.declarations.MenuItem`` entries for the menus.

    Called once at start-up. The host shows an entry only to users of a group company that
    enabled the plugin, and only to the entry's ``roles`` (all signed-in users when empty).

    :returns: the menu entries.
    :firstresult: no.

    Example::

        @hookimpl
        def register_menu():
            return [MenuItem(label=_l("认购明细"), endpoint="subscription.details", weight=20)]
    """


@hookspec
def register_jobs() -> list[Job]:
    """Return ``core.declarations.Job`` declarations of the plugin's background jobs.

    Called once at start-up; the job's full name is ``<plugin>.<name>`` and must be unique.
    ``core.jobs.enqueue(name, group_id, **ids)`` runs it (RQ with Redis, in-process after
    the commit without); at run time the host refuses it when the plugin is disabled for
    ``group_id``.

    :returns: the jobs, each ``name`` without the plugin prefix.
    :firstresult: no.

    Example::

        @hookimpl
        def register_jobs():
            return [Job(name="send_notice", func=send_notice)]
    """


@hookspec
def register_settings() -> list[Setting]:
    """Return ``core.settings.Setting`` declarations: the module's per-company settings.

    Called once at start-up. An admin fills them in under 后台管理 / 模块 / 设置 for their
    group company; ``core.settings.values(group_id, plugin)`` reads them (secrets decrypted).
    A plugin may add buttons to that page with a template ``<plugin>/settings_extra.html``.

    :returns: the settings, each ``key`` once.
    :firstresult: no.

    Example::

        @hookimpl
        def register_settings():
            return [Setting("app_key", "AppKey"), Setting("app_secret", "AppSecret", kind="secret")]
    """


@hookspec
def notification_channels() -> list[Channel]:
    """Return ``core.channels.Channel`` instances: ways of delivering outbox notices.

    Called once at start-up; channel names must be unique (the host ships ``inbox``). A
    channel's ``send(messages)`` runs in a worker after the notices are claimed, gets plain
    ``Message`` snapshots and returns per message id ``None``/an external id on success, or
    a ``TransientError`` (retried with backoff) / ``PermanentError`` (failed at once).
    ``rate_limit = (count, seconds)`` is enforced across all workers. Notices of a channel
    whose plugin the company has disabled fail with that reason.

    :returns: the channel instances.
    :firstresult: no.

    Example::

        @hookimpl
        def notification_channels():
            return [WorkNoticeChannel()]   # name = "dingtalk_work", rate_limit = None
    """


@hookspec
def register_processes() -> list[ProcessKind]:
    """Return ``core.processes.kinds.ProcessKind`` declarations: the kinds of approval process.

    Called once at start-up; codes must be unique across plugins. A project's process list
    (流程/项目流程) shows the kinds of the modules its group company enabled, by ``weight``.

    :returns: the process kinds.
    :firstresult: no.

    Example::

        @hookimpl
        def register_processes():
            return [ProcessKind(code="capital_peak", label=_l("项目资金峰值"), weight=10,
                                fields=(Field("peak", _l("资金峰值"), "money", prefill=current_peak),),
                                on_approve=confirm_peak)]
    """


@hookspec
def approval_providers(group_id: int) -> list[Any]:
    """Return the approval providers this plugin offers ``group_id`` (those it is configured for).

    Tenant-level, called only on the plugins the company enabled. Which provider decides a process
    kind is the company's choice (``gentou processes provider``, kept as a setting of the host);
    when it chose none, the only offered provider decides, and with two or more the host's in-app
    provider (a business admin decides) does, never registration order. A provider has
    ``name``, ``label``, ``start(instance, kind) -> external id`` (it must not call the network
    inside the web request: enqueue a job) and ``url(instance) -> link or None`` (查看BPM).
    Its decision comes back through ``core.processes.service.complete``.

    :param group_id: the group company whose process is to be started.
    :returns: the providers, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def approval_providers(group_id):
            return [DingTalkApprovals(group_id)] if configured(group_id) else []
    """


@hookspec
def todo_items(user: User) -> list[Todo]:
    """Return the 待办 of the signed-in ``user`` that this plugin knows of: ``core.declarations.Todo`` lines.

    Tenant-level: called when the home page is shown, only on plugins the user's group company
    enabled. Look only at what the user may see (their roles, their projects). Use a fixed number
    of queries whatever the number of rows, and return at most ``core.worklist.LIMIT`` lines per
    section. Return an empty list for none.

    :param user: the signed-in user whose home page is shown (their group company is current).
    :returns: the 待办 lines, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def todo_items(user):
            if not user.has_role(roles.PARTNER):
                return []
            return [Todo(_("签署协议"), a.number, f"/agreements/{a.token}/view") for a in unsigned(user)]
    """


@hookspec
def member_projects(user: User) -> list[ProjectLink]:
    """Return ``core.declarations.ProjectLink`` for each project ``user`` takes part in other than by
    项目授权 (a partner on a project's 合伙名单), for the home page's project list.

    Tenant-level like ``todo_items``, with a fixed number of queries.

    :param user: the signed-in user whose home page is shown.
    :returns: the project links, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def member_projects(user):
            return [ProjectLink(p.id, p.name, "/subscription/me") for p in projects_of_partner(user)]
    """


@hookspec
def demo_data(group_id: int) -> None:
    """Add the plugin's demo records to the demo group company ``group_id`` (``gentou demo``).

    Tenant-level: called after the host's demo (projects, users) exists, only on plugins the
    demo group enabled, with the group company current. Must be idempotent: create what is
    missing, change nothing that exists. The caller commits.

    :param group_id: the demo group company (current while the hook runs).
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def demo_data(group_id):
            if not db.session.scalar(db.select(Initiation.id)):
                db.session.add(Initiation(project_id=..., capital_peak=Decimal("100000000.00")))
    """


@hookspec
def register_cli(group: click.Group) -> None:
    """Add the plugin's click commands to the ``flask gentou`` command group.

    Called once at start-up with the ``click.Group``; return nothing. A command about one group
    company takes ``@core.cli.with_company``: the host adds ``--company CODE``, refuses an unknown
    company or one that has not enabled the plugin, and passes ``group``.

    :param group: the ``flask gentou`` command group.
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def register_cli(group):
            group.add_command(dingtalk_cli)
    """


@hookspec
def module_enabled(group_id: int) -> None:
    """The plugin has just been enabled for ``group_id``: seed what the company needs.

    Called by ``core.modules.enable`` on this plugin only, inside the transaction that enables it
    (also when it comes on as a dependency or by ``auto_enable``), with the company current. Raise
    ``core.modules.ModuleError`` to refuse: nothing of the change is saved and the user reads its message.

    :param group_id: the group company enabling the plugin.
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def module_enabled(group_id):
            if not db.session.scalar(db.select(Template.id)):
                db.session.add(Template(name=_("默认模板"), body=DEFAULT_BODY))
    """


@hookspec
def module_disabled(group_id: int) -> None:
    """The plugin is about to be disabled for ``group_id``: clean up what only it uses.

    Called by ``core.modules.disable`` on this plugin only, inside the transaction that disables it,
    with the company current. Business records stay (they are kept for audit and a later re-enable);
    remove only what would act while disabled (pending jobs' rows, schedules). Raise
    ``core.modules.ModuleError`` to refuse.

    :param group_id: the group company disabling the plugin.
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def module_disabled(group_id):
            db.session.execute(db.delete(Reminder).where(Reminder.sent_at.is_(None)))
    """


@hookspec
def on_event(event: Event) -> None:
    """React to a business event (a ``core.declarations.Event`` subclass) of one company.

    Called by ``core.events.emit`` inside the transaction that caused the event, only on
    plugins the event's group company has enabled. Write rows (outbox, follow-up records)
    in the current session or enqueue jobs with ids; make no network call here.
    Return value ignored.

    :param event: the event; ``event.group_id`` is its group company.
    :returns: nothing (ignored).
    :firstresult: no.

    Example::

        @hookimpl
        def on_event(event):
            if isinstance(event, SubscriptionConfirmed):
                enqueue("agreements.generate", event.group_id, subscription_id=event.subscription_id)
    """


@hookspec
def stake_sources(project_id: int) -> list[StakeSource]:
    """Return the holdings in project ``project_id`` this plugin offers to new partners
    (``core.declarations.StakeSource``: key, label, amount available).

    Tenant-level: called with the project's group company current, only on the plugins it enabled,
    when a 新增合伙 round is prepared and again when it is approved (the offering plugin locks its
    holding in ``stake_taken``). A round may take from one source at most its ``amount``; without any
    source new partners bring new money. Make no network call and use a fixed number of queries.

    :param project_id: the project whose new partners may take over a holding.
    :returns: the sources with a positive amount, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def stake_sources(project_id):
            held = platform_holding(project_id)
            return [StakeSource("exit:platform", _("平台公司持有份额"), held)] if held else []
    """


@hookspec
def stake_taken(project_id: int, source_key: str, taken: dict[int, Decimal]) -> None:
    """New partners of project ``project_id`` took over (part of) the holding ``source_key``.

    Tenant-level, called on every plugin the company enabled inside the transaction that approves
    the 新增合伙 round; only the plugin that offered ``source_key`` acts (the others return at once).
    It reduces its holding by exactly ``sum(taken.values())`` and audits the change; raising
    ``core.declarations.Refusal`` refuses the approval with its message and nothing of it is saved.

    :param project_id: the project.
    :param source_key: the ``StakeSource.key`` the round took from.
    :param taken: the investment each new partner took, by user id (each positive, to the cent).
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def stake_taken(project_id, source_key, taken):
            if source_key == "exit:platform":
                reduce_platform_holding(project_id, sum(taken.values()))
    """


@hookspec
def stakes_passed_on(project_id: int) -> dict[int, Decimal]:
    """Return the part of each partner's investment in project ``project_id`` that left them and is now
    counted in other partners' subscriptions (e.g. an exited partner's stake, transferred to the platform
    company, then taken over by new partners in a 新增合伙 round), by subscription id, to the cent.

    Tenant-level like ``holder_marks``: read by the subscription stage for who holds the stake now, so
    a stake is counted once: its tier sums (认购明细) and the room left in the tier pots (补投) count a
    subscription at its investment less this part. The partner's own rows stay as they were (history,
    个人中心). A stake transferred but not yet taken over is still counted (held by the platform company).
    Read ``core.holders.passed_on``. Use a fixed number of queries.

    :param project_id: the project.
    :returns: the amounts passed on, each positive and at most the subscription's investment plus what peak
        changes added to the stake since it left the partner (``stakes_adjusted``), possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def stakes_passed_on(project_id):
            return {e.subscription_id: e.taken for e in exits(project_id) if e.taken}
    """


@hookspec
def required_partners(project_id: int) -> list[RequiredPartner]:
    """Return ``core.declarations.RequiredPartner`` entries: the partners this plugin requires on project
    ``project_id``'s 合伙名单 (e.g. the mandatory co-investors, 强投), each with their tier and minimum.

    Tenant-level: called with the project's group company current, only on the plugins it enabled,
    when the stage shows or builds the 合伙名单, checks a partner's 认购, runs 测算 and shows its
    partner tables. Those not yet on the list are proposed with ``minimum`` as their lower bound; a
    listed one may not subscribe less than ``minimum``, and 测算 keeps it when the tier is scaled back.
    Leave out a partner whose requirement was waived (``required_partner_waived``). When several
    plugins require the same partner, the highest minimum counts. Use a fixed number of queries.

    :param project_id: the project whose 合伙名单 is built.
    :returns: the required partners, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def required_partners(project_id):
            return [RequiredPartner(e.user_id, e.tier, e.minimum, _("强投")) for e in entries_for(project_id)]
    """


@hookspec
def required_partner_waived(project_id: int, user_id: int, reason: str) -> None:
    """A partner required on project ``project_id`` (``required_partners``) was removed from its 合伙名单,
    or not taken onto it, for ``reason`` (given by the accountant, never empty).

    Tenant-level, called on every plugin the company enabled inside the transaction that removes the
    partner; the plugin that required them records the waiver (audited) and stops requiring them for
    this project; the others return at once. Raising refuses the removal and nothing of it is saved.

    :param project_id: the project.
    :param user_id: the partner no longer required.
    :param reason: why, as the accountant wrote it.
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def required_partner_waived(project_id, user_id, reason):
            if requires(project_id, user_id):
                db.session.add(Waiver(project_id=project_id, user_id=user_id, reason=reason))
    """


@hookspec
def holder_marks(project_id: int) -> list[HolderMark]:
    """Return ``core.declarations.HolderMark`` entries: the marks this plugin puts on partners of
    project ``project_id`` (离 for a partner who resigned, 退 for one who exited...).

    Tenant-level: called with the project's group company current, only on the plugins it enabled,
    when a stage shows a table of the project's partners (认购明细, 分配) and when a distribution
    batch is created: a partner with a mark whose ``left_on`` is set no longer takes part in the
    batches created afterwards. Read ``core.holders.marks(project_id)`` rather than calling the hook.
    Use a fixed number of queries.

    :param project_id: the project whose partners are shown.
    :returns: the marks, possibly none (several per partner allowed).
    :firstresult: no.

    Example::

        @hookimpl
        def holder_marks(project_id):
            return [HolderMark(e.user_id, _("离"), _("离职"), e.transferred_on) for e in exits(project_id)]
    """


@hookspec
def other_holders(project_id: int) -> list[Holder]:
    """Return ``core.declarations.Holder`` entries: who else than the partners holds part of project
    ``project_id``'s partnership investment (e.g. the platform company after exits), one entry per holder
    and tier the holding counts in (``tier``, a 层级 of the subscription stage).

    Tenant-level like ``holder_marks``; the stages list them under their partner tables (as a part of
    the total, not in addition to it: the exited partners' rows stay), and a 峰值变更 gives each entry its
    share of the tier's new pot (``holding_adjusted``). Read ``core.holders.others``.

    :param project_id: the project.
    :returns: the holders with a positive investment, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def other_holders(project_id):
            return [Holder("exit:platform", company_name(project_id), amount, tier=tier)
                    for tier, amount in platform_holding_by_tier(project_id).items()]
    """


@hookspec
def distribution_holders(project_id: int) -> list[Holder]:
    """Return ``core.declarations.Holder`` entries: who else than the partners takes a share of the
    distribution batches of project ``project_id`` created now (e.g. the platform company holding the
    stakes of exited partners, when the module's settings say it takes their share).

    Tenant-level like ``holder_marks``: read when a batch is created (each holder gets its own line,
    keyed by ``key`` and ``tier``, never notified) and when its 分配测算 runs (``investment`` is the
    principal held: A of a 本金分配, the weight among the ``tier``'s partners for 利润, with the same
    largest-remainder rounding to the cent). Read ``core.holders.sharing``. Use a fixed number of queries.

    :param project_id: the project whose batch is created or computed.
    :returns: the holders with a positive investment and a tier, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def distribution_holders(project_id):
            held = platform_holding(project_id)
            return [Holder("exit:platform", held.company.name, held.amount, tier="city")] if held else []
    """


@hookspec
def holding_ended(project_id: int, subscription_id: int, ended_on: dt.date, reason: str) -> None:
    """A partner's holding in project ``project_id`` (their subscription ``subscription_id``) ended on
    ``ended_on``: their stake left them for good (e.g. 合伙投资过户给平台公司 after 离职 or 退休).

    Tenant-level, called on every plugin the company enabled inside the transaction that ends the
    holding, with the company current; the plugins that keep records of the subscription mark them
    ended (the partner's agreement is no longer the one in force but stays downloadable and verifiable).
    Write rows in the current session; make no network call. Raising refuses the change and nothing
    of it is saved.

    :param project_id: the project.
    :param subscription_id: the partner's subscription whose holding ended.
    :param ended_on: the day it ended (the exit date).
    :param reason: why, for people (e.g. "离职"), short text.
    :returns: nothing.
    :firstresult: no.

    Example::

        @hookimpl
        def holding_ended(project_id, subscription_id, ended_on, reason):
            for agreement in in_force(subscription_id):
                agreement.state, agreement.ended_on, agreement.ended_reason = "terminated", ended_on, reason
    """


@hookspec
def holding_adjusted(project_id: int, key: str, tier: str, old: Decimal, new: Decimal, ref: str,
                     reason: str) -> bool | None:
    """A 峰值变更 of project ``project_id`` takes effect: the part of tier ``tier`` held by ``key`` (an
    ``other_holders`` entry) goes from ``old`` to ``new``, its share of the tier's new pot, as the partners'
    investments do.

    Tenant-level, called on every plugin the company enabled inside the transaction that approves the change
    (one call per holder and tier whose part changes); only the plugin whose ``key`` it is acts (the others
    return at once). It adds ``new - old`` to its holding in the tier and keeps it apart from what new partners
    took over, so ``stakes_passed_on`` still says what they took and ``stakes_adjusted`` says what peak changes
    made; it audits the change. Raising ``core.declarations.Refusal`` refuses the approval with its message and
    nothing of it is saved; raise it when the holding in the tier is no longer ``old`` (it changed since the
    figures were computed).

    :param project_id: the project.
    :param key: the ``Holder.key`` of the holding.
    :param tier: the tier whose part changes.
    :param old: the part as ``other_holders`` gave it when the change was computed (money, to the cent).
    :param new: the part after the change (money, to the cent, never negative).
    :param ref: names the change, unique within the project and tier (e.g. "adjustment:12"), for
        ``holding_settled``.
    :param reason: what the change is, for people (e.g. "峰值变更 #2").
    :returns: True from the plugin whose ``key`` it is, None from the others. The caller refuses the change
        when no enabled plugin answers for ``key`` (its plugin was disabled after the figures were computed):
        the holding would otherwise keep its old part while the tier's pot moved.
    :firstresult: no.

    Example::

        @hookimpl
        def holding_adjusted(project_id, key, tier, old, new, ref, reason):
            if key == "exit:platform":
                change_platform_holding(project_id, tier, new - old, ref, reason)
                return True
    """


@hookspec
def holding_settled(project_id: int, key: str, tier: str, ref: str, amount: Decimal,
                    settled_on: dt.date) -> bool | None:
    """The holder ``key`` of project ``project_id`` settled the change ``ref`` of its part of tier ``tier``
    (``holding_adjusted``): it paid its 补缴 (``amount`` positive) or was refunded (``amount`` negative), the whole
    change at once, confirmed with its date (变更缴款确认).

    Tenant-level, called on every plugin the company enabled inside the transaction that confirms it; only the
    plugin whose ``key`` it is acts: it marks that change settled on ``settled_on`` (``StakeAdjustment.settled_on``)
    and audits it. Raising ``core.declarations.Refusal`` refuses the confirmation with its message (e.g. the
    change is unknown, already settled or of another amount) and nothing of it is saved.

    :param project_id: the project.
    :param key: the ``Holder.key`` of the holding.
    :param tier: the tier of the change.
    :param ref: the ``ref`` the change was made with.
    :param amount: the change, paid (positive) or refunded (negative), to the cent.
    :param settled_on: the day it was paid or refunded.
    :returns: True from the plugin whose ``key`` it is, None from the others; the caller refuses the
        confirmation when no enabled plugin answers for ``key``.
    :firstresult: no.

    Example::

        @hookimpl
        def holding_settled(project_id, key, tier, ref, amount, settled_on):
            if key == "exit:platform":
                mark_settled(project_id, tier, ref, amount, settled_on)
                return True
    """


@hookspec
def stakes_adjusted(project_id: int) -> list[StakeAdjustment]:
    """Return ``core.declarations.StakeAdjustment`` entries: what the peak changes of project ``project_id`` made
    of stakes that left their partner and are held by another holder (``holding_adjusted``), each by the
    subscription the stake came from, with the day its 补缴 or 退款 was confirmed (``holding_settled``).

    Tenant-level like ``stakes_passed_on``, and read with it: a stake counts in its tier (认购明细, the room
    left in the tier pots, the reports) at its subscription's investment less the part passed on plus these
    amounts; the amounts settled count as paid (已缴). The partner's own rows stay as they were. Read
    ``core.holders.adjustments``. Use a fixed number of queries.

    :param project_id: the project.
    :returns: one entry per change and subscription, possibly none.
    :firstresult: no.

    Example::

        @hookimpl
        def stakes_adjusted(project_id):
            return [StakeAdjustment(c.subscription_id, c.amount, c.settled_on) for c in peak_changes(project_id)]
    """


@hookspec
def capital_peaks(project_ids: list[int]) -> dict[int, Decimal]:
    """Return the 资金峰值 (capital peak) of each of ``project_ids`` that has one, by project id: for a plugin
    that shows or sends a project's peak (e.g. 合思) without depending on the plugin that keeps it.

    Tenant-level: call it through ``core.modules.hooks_for(group_id)``; the results of several plugins are
    merged, a later one winning. Use one query for all the projects.

    :param project_ids: the projects asked about.
    :returns: {project id: peak}, the projects without a peak left out, possibly empty.
    :firstresult: no.

    Example::

        @hookimpl
        def capital_peaks(project_ids):
            return dict(db.session.execute(select(Initiation.project_id, Initiation.capital_peak)
                                           .where(Initiation.project_id.in_(project_ids))).all())
    """
