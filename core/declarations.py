"""What plugins declare through the ``register_*`` hooks; the host applies them."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Callable


class Refusal(ValueError):
    """A hook implementation refusing what it is asked (a 新增合伙 taking more than is held, a holding that
    changed since it was computed): the caller rolls back and shows the message, which is for the user.
    Any other exception is a fault, never shown."""


@dataclasses.dataclass(frozen=True)
class MenuItem:
    """An entry of the top menu (section "main"), the 后台管理 tabs ("admin") or 个人中心 ("personal").

    ``roles`` limits who sees it (empty: every signed-in user); ``weight`` orders entries,
    lighter first; ``endpoint`` is a Flask endpoint of the declaring plugin.
    """

    label: str
    endpoint: str
    section: str = "main"
    weight: int = 100
    roles: tuple[str, ...] = ()
    plugin: str = ""


@dataclasses.dataclass(frozen=True)
class Job:
    """A background job ``<plugin>.<name>``: ``func(**kwargs)`` with ids only, never ORM objects.

    The host runs it with the app context and the group company set, after checking that the
    declaring module is still enabled for that company.
    """

    name: str
    func: Callable
    description: str = ""
    plugin: str = ""


@dataclasses.dataclass(frozen=True)
class Event:
    """A business event of one group company, emitted inside the transaction that caused it."""

    group_id: int


@dataclasses.dataclass(frozen=True)
class Todo:
    """One line of a user's 待办 on the home page: what waits, where to do it, since when.

    ``section`` groups lines under a heading (e.g. 方案审核); ``weight`` orders the sections.
    """

    section: str
    label: str
    link: str
    detail: str = ""
    weight: int = 100


@dataclasses.dataclass(frozen=True)
class ProjectLink:
    """A project a user takes part in other than by 项目授权 (e.g. as a partner), and the page for it."""

    project_id: int
    name: str
    link: str


@dataclasses.dataclass(frozen=True)
class StakeSource:
    """A holding in a project that a plugin offers to the project's new partners (新增合伙), e.g. the
    exited partners' stakes held by the group's platform company.

    ``key`` is stable and unique within the project (prefix it with the plugin name); ``amount`` is
    the investment (money, to the cent) a 新增合伙 round may take from it, never negative.
    """

    key: str
    label: str
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class RequiredPartner:
    """A partner a plugin requires on a project's 合伙名单, e.g. a mandatory co-investor (强投).

    The stage proposes them when the list is built, in ``tier``, with ``minimum`` (money, to the cent)
    as their lower bound: they may not subscribe less, and 测算 keeps it when the tier's pot is
    scaled back. ``label`` marks them in the partner tables; the others invest voluntarily (自愿).
    """

    user_id: int
    tier: str
    minimum: Decimal
    label: str


@dataclasses.dataclass(frozen=True)
class HolderMark:
    """A mark a plugin puts on a partner's rows of a project's tables, e.g. 离 (resigned) or 退 (exited).

    ``left_on`` is set when the partner's stake left them on that date (transferred, 过户): distributions
    made later leave the partner out.
    """

    user_id: int
    mark: str
    title: str = ""
    left_on: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class Holder:
    """A holder of part of a project's partnership investment that is not a partner, e.g. the group's
    platform company (平台公司) holding exited partners' stakes. ``investment`` is money, to the cent;
    ``tier`` (a 层级 of the subscription stage) is the tier whose profit share the holding takes part in."""

    key: str
    name: str
    investment: Decimal
    note: str = ""
    tier: str = ""


@dataclasses.dataclass(frozen=True)
class StakeAdjustment:
    """What one 峰值变更 made of a stake that left its partner and is held by a holder other than partners (the
    platform company), by the subscription the stake came from. ``amount`` (money, to the cent) is added to what
    the stake counts in its tier (negative for a lowered peak); ``settled_on`` is the day the holder's 补缴 or
    退款 of it was confirmed, None while it is still owed."""

    subscription_id: int
    amount: Decimal
    settled_on: dt.date | None = None
