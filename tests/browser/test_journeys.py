"""The main journeys of the manual's quick guide in Chromium, each as the role the manual names, by clicks and typing.

They run in order on one served demo and build on each other: the admin opens 浏览器-锦绣园 and authorises the
city company's accountant (hhkj); hhkj enters its 立项 data, 股权合作 and peak, starts 项目资金峰值, which the
business admin (hhadmin) approves, lists partners and sends the 认购通知 after a test message; the partner (shiwei)
subscribes, refused out of bounds; hhkj computes and submits, hhadmin reviews, 事业合伙立项 is approved, hhkj
sends the 缴款通知 and confirms a payment; the partner signs and downloads the agreement; a 本金分配 goes through
to the partner's 我的分配; the admin cannot disable 分配 while modules depend on it, disables 披露 and it leaves
the menus. Each page visited is checked (conftest), in Chinese and again in English. Links and buttons are found by their text or role, so the journeys
hold while the menus grow.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from core import demo
from tests.browser.conftest import DATA_WORDS

PROJECT = "浏览器-锦绣园"
CODE = "BR-JXY"
CITY = "环沪城市公司"
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the app's today
DATA_WORDS.add(PROJECT)


def row(page, text: str):
    """The table row that shows ``text``."""
    return page.locator("tr", has_text=text).first


def link(page, name: str, exact: bool = False):
    return page.get_by_role("link", name=name, exact=exact).first


def button(page, name: str, exact: bool = False):
    return page.get_by_role("button", name=name, exact=exact).first


def module_row(page, name: str):
    """The row of module ``name`` on 后台管理 → 模块."""
    return page.locator("tr").filter(has=page.locator("code", has_text=re.compile(f"^{name}$"))).first


def alerts(page) -> str:
    return " ".join(page.get_by_role("alert").all_inner_texts())


def accept_dialogs(tab):
    """The app's confirm dialogs (data-confirm) are accepted, as the person would after reading them."""
    if not hasattr(tab, "asked"):
        tab.asked = []

        def on_dialog(dialog):
            tab.asked.append(dialog.message)
            dialog.accept()
        tab.page.on("dialog", on_dialog)
    return tab.asked


def test_admin_opens_a_project_and_authorises_the_city_accountant(person):
    admin = person("admin")
    admin.sign_in("admin")
    admin.click(link(admin.page, "后台管理"))
    admin.click(link(admin.page, "项目维护", exact=True))
    admin.click(link(admin.page, "新建"))
    page = admin.page
    page.get_by_label("项目编码").fill(CODE)
    page.get_by_label("项目名称").fill(PROJECT)
    company = page.get_by_label("城市公司")
    company.select_option(label=next(o for o in company.locator("option").all_inner_texts() if CITY in o))
    page.get_by_label("拿地时间").fill("2020-05-18")
    page.get_by_label("开放", exact=True).check()
    admin.click(button(page, "保存"))
    assert PROJECT in page.locator("main").inner_text()
    admin.click(row(page, CODE).get_by_role("link", name="授权"))
    assert PROJECT in page.locator("main h2").first.inner_text()
    page.get_by_label(re.compile(r"环沪城市公司经营会计（hhkj）")).check()
    admin.click(button(page, "保存"))
    assert page.get_by_label(re.compile(r"环沪城市公司经营会计（hhkj）")).is_checked()
    admin.check_english()


def approve(tab, process: str):
    """The business admin approves the project's waiting ``process`` from the 待办 of the home page."""
    page = tab.page
    tab.click(link(page, "首页", exact=True))
    tab.click(link(page, f"{PROJECT} · {process}"))
    if page.get_by_role("button", name="审批通过").count() == 0:  # the 待办 led to the project's processes
        tab.click(row(page, process).get_by_role("link", name="查看"))
    accept_dialogs(tab)
    page.get_by_label("审批意见").fill("同意")
    tab.click(button(page, "审批通过"))
    assert "已审批" in alerts(page) and page.locator("main h1 .badge").inner_text() == "完成"


def start_process(tab, process: str, fields: dict | None = None):
    page = tab.page
    tab.click(link(page, "项目流程"))
    tab.click(row(page, process).get_by_role("link", name="发起"))
    for label, value in (fields or {}).items():
        page.get_by_label(label).fill(value)
    page.get_by_label("情况说明").fill(f"{PROJECT}{process}，请审批")
    tab.click(button(page, "发起流程"))


def open_stage(tab, tab_name: str):
    """From anywhere: 立项 in the menu, the project's row, then the stage's tab."""
    page = tab.page
    tab.click(link(page, "立项", exact=True))
    tab.click(row(page, PROJECT).get_by_role("link", name="基础信息"))
    if tab_name != "基础信息":
        tab.click(page.locator(".nav-tabs").get_by_role("link", name=tab_name, exact=True))


def test_city_company_enters_the_initiation_and_peak_and_sends_the_subscription_notice(person):
    kj = person("hhkj")
    kj.sign_in("hhkj")
    page = kj.page
    open_stage(kj, "基础信息")
    for label, value in (("项目公司", "浏览器锦绣置业有限公司"), ("总投资", "1,200,000,000"), ("立项日期", "2020-06-01"),
                         ("开发周期（月）", "36"), ("销售收入", "1,500,000,000.00"), ("净利润", "120,000,000")):
        page.get_by_label(label, exact=True).fill(value)
    kj.click(button(page, "保存"))
    assert page.get_by_label("项目公司", exact=True).input_value() == "浏览器锦绣置业有限公司"
    kj.click(page.locator(".nav-tabs").get_by_role("link", name="股权合作", exact=True))
    lines = page.locator("main tbody tr")
    for i, (name, side, stake) in enumerate((("锦艺置业", "我方", "51"), ("合作方甲", "合作方", "40"))):
        lines.nth(i).locator("input").first.fill(name)
        lines.nth(i).locator("select").select_option(label=side)
        lines.nth(i).locator("input.money").fill(stake)
    kj.click(button(page, "保存"))
    assert "持股比例合计须为 100%，现为 91.000%" in page.locator("main").inner_text()
    page.locator("main tbody tr").nth(1).locator("input.money").fill("49")
    kj.click(button(page, "保存"))
    assert page.locator("main tfoot").inner_text().split()[-1] == "100.000"
    kj.click(page.locator(".nav-tabs").get_by_role("link", name="资金峰值", exact=True))
    page.get_by_label("资金峰值", exact=True).fill("10,000,000")
    page.get_by_label(re.compile("配资比例")).fill("40")
    page.get_by_label(re.compile("配资年利率")).fill("6")
    row(page, "置业集团").locator("input").fill("3.310")
    row(page, "城市公司").locator("input").fill("0.600")
    for label, value in (("收款户名", "浏览器锦绣置业有限公司"), ("开户行", "建设银行上海分行"),
                         ("收款账号", "3100 1234 5678"), ("缴款截止日期", "2030-01-31")):
        page.get_by_label(label, exact=True).fill(value)
    kj.click(button(page, "保存"))
    assert "391,000.00" in page.locator("main").inner_text()
    start_process(kj, "项目资金峰值")
    kj.check_english()

    hh = person("hhadmin")
    hh.sign_in("hhadmin")
    approve(hh, "项目资金峰值")

    open_stage(kj, "合伙名单")
    for username, tier, low, high in (("shiwei", "置业集团", "100,000", "300,000"),
                                      ("liuqiao", "城市公司", "20,000", "60,000")):
        page.get_by_label("账号", exact=True).fill(username)
        page.get_by_label("认购下限").fill(low)
        page.get_by_label("认购上限").fill(high)
        page.get_by_label("截至日期").fill((TODAY + dt.timedelta(days=14)).isoformat())
        page.get_by_label("层级").select_option(label=tier)
        kj.click(button(page, "添加"))
        assert username in row(page, username).inner_text()
    asked = accept_dialogs(kj)
    kj.click(button(page, "发送测试消息"))
    assert "测试" in alerts(page)
    kj.click(button(page, "发送认购通知"))
    assert asked and "认购通知" in asked[-1]
    expect(page.locator("[data-progress-url] .progress-text")).to_have_text("已发送 2 / 2，0 条失败")  # polled
    kj.check_english()


def test_partner_subscribes_within_the_bounds(person):
    partner = person("shiwei")
    partner.sign_in("shiwei")
    page = partner.page
    partner.click(link(page, "消息"))
    assert f"认购通知：{PROJECT}" in page.locator("main").inner_text()
    partner.click(link(page, "首页", exact=True))
    partner.click(link(page, PROJECT))
    card = page.locator(".card", has_text=PROJECT).first
    card.get_by_placeholder("认购金额").fill("500,000")
    partner.click(card.get_by_role("button", name=re.compile("认购")))
    assert "认购金额须在 100,000.00 至 300,000.00 之间" in alerts(page)
    card = page.locator(".card", has_text=PROJECT).first
    card.get_by_placeholder("认购金额").fill("250,000")
    partner.click(card.get_by_role("button", name=re.compile("认购")))
    assert "已提交认购 250,000.00 元" in alerts(page)
    partner.check_english()


def test_city_company_computes_the_business_admin_reviews_and_the_accountant_confirms_a_payment(person):
    kj = person("hhkj")
    kj.sign_in("hhkj")
    page = kj.page
    open_stage(kj, "认购明细")
    asked = accept_dialogs(kj)
    for action in ("测算", "计算投资明细", "送审"):
        kj.click(button(page, action, exact=True))
        assert asked[-1] == f"对全部合伙人执行“{action}”？"
    assert "250,000.00" in row(page, "史伟").inner_text()

    hh = person("hhadmin")
    hh.sign_in("hhadmin")
    accept_dialogs(hh)
    hh.click(link(hh.page, "方案审核", exact=True))
    review = row(hh.page, PROJECT)
    review.get_by_placeholder("审核意见").fill("同意")
    hh.click(review.get_by_role("button", name="审核通过"))
    hh.check_english()

    start_process(kj, "事业合伙立项")
    approve(hh, "事业合伙立项")

    open_stage(kj, "缴款")
    kj.click(button(page, "发送测试消息"))
    assert "测试" in alerts(page)
    kj.click(button(page, "发送", exact=True))
    assert asked[-1] == "向所有未缴清的合伙人发送所选通知？"
    line = row(page, "史伟")
    line.get_by_label("缴款日期").fill(TODAY.isoformat())
    line.get_by_placeholder("金额").fill("250,000")
    kj.click(line.get_by_role("button", name="确认"))
    assert asked[-1] == "确认 史伟 的这笔缴款？"
    assert "已缴清" in row(page, "史伟").inner_text()
    kj.check_english()


def test_partner_sees_the_payment_then_signs_and_downloads_the_agreement(person):
    partner = person("shiwei")
    partner.sign_in("shiwei")
    page = partner.page
    partner.click(link(page, "首页", exact=True))
    partner.click(link(page, PROJECT))
    card = page.locator(".card", has_text=PROJECT).first
    assert "250,000.00" in card.inner_text() and "已缴清" in card.inner_text()
    partner.click(page.locator(".nav-tabs").get_by_role("link", name="协议下载"))
    card = page.locator(".card", has_text=PROJECT).first
    card.get_by_placeholder("输入登录密码确认签署").fill("wrong-password")
    partner.click(card.get_by_role("button", name="签署"))
    assert "密码不正确，未签署" in alerts(page)
    card = page.locator(".card", has_text=PROJECT).first
    card.get_by_placeholder("输入登录密码确认签署").fill(demo.PASSWORD)
    partner.click(card.get_by_role("button", name="签署"))
    card = page.locator(".card", has_text=PROJECT).first
    assert "签署于" in card.inner_text()
    with page.expect_download() as download:
        card.get_by_role("link", name="下载").click()
    data = open(download.value.path(), "rb").read()
    assert data.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
    partner.assert_clean()
    partner.check_english()


def test_principal_distribution_through_to_the_partner_in_the_personal_centre(person):
    kj = person("hhkj")
    kj.sign_in("hhkj")
    page = kj.page
    asked = accept_dialogs(kj)
    open_stage(kj, "基础信息")
    start_process(kj, "实际资金峰值确认", {"资金峰值-实际": "10,000,000"})
    hh = person("hhadmin")
    hh.sign_in("hhadmin")
    accept_dialogs(hh)
    approve(hh, "实际资金峰值确认")

    kj.click(link(page, "分配", exact=True))
    kj.click(row(page, PROJECT).get_by_role("link", name="事业合伙分配"))
    page.locator("select[name=kind]").select_option(label="本金分配")
    kj.click(button(page, "新建分配批次"))
    inputs = page.locator("form#inputs")
    inputs.locator("input[name=distributed_on]").fill(TODAY.isoformat())
    kj.click(inputs.get_by_role("button", name="保存"))
    kj.click(button(page, "分配测算"))
    assert asked[-1] == "按已保存的输入项进行分配测算并保存结果？"
    assert "250,000.00" in row(page, "史伟").inner_text()
    kj.click(button(page, "申请发布审核"))

    hh.click(link(hh.page, "方案审核", exact=True))
    review = row(hh.page, "本金分配")
    assert PROJECT in review.inner_text()
    hh.click(review.get_by_role("button", name="审核通过"))

    start_process(kj, "本金分配")
    approve(hh, "本金分配")
    hh.check_english()

    partner = person("shiwei")
    partner.sign_in("shiwei")
    partner.click(link(partner.page, "个人中心", exact=True))
    partner.click(link(partner.page, "我的分配", exact=True))
    assert partner.page.locator("main .nav-tabs").get_by_role("link", name="协议下载").count() == 1  # still 个人中心
    line = row(partner.page, PROJECT)
    assert "本金分配" in line.inner_text() and "已发送" in line.inner_text()
    assert line.locator("td").nth(3).inner_text() == "250,000.00"  # 本金; paid and distributed today: no 资金利息
    assert line.locator("td").nth(4).inner_text() == "0.00" and line.locator("td").nth(7).inner_text() == "250,000.00"
    partner.click(link(partner.page, re.compile(r"消息")))
    assert "分配通知" in partner.page.locator("main").inner_text()
    partner.check_english()
    kj.check_english()


def test_a_module_disabled_by_the_admin_disappears_from_the_menus(person):
    kj = person("hhkj")
    kj.sign_in("hhkj")
    menu = kj.page.locator("nav .navbar-nav")
    assert menu.get_by_role("link", name="披露", exact=True).count() == 1

    admin = person("admin")
    admin.sign_in("admin")
    asked = accept_dialogs(admin)
    admin.click(link(admin.page, "后台管理"))
    admin.click(link(admin.page, "模块", exact=True))
    needed = module_row(admin.page, "distribution").get_by_role("button", name="停用")
    assert needed.is_disabled() and "已启用的模块依赖它" in needed.get_attribute("title")  # exit, minority, reports use it
    admin.click(module_row(admin.page, "disclosure").get_by_role("button", name="停用"))
    assert asked[-1].startswith("为本集团全部用户停用模块")
    assert "未启用" in module_row(admin.page, "disclosure").inner_text()
    assert "未启用" in module_row(admin.page, "dingtalk").inner_text()  # off on this closed network

    kj.click(link(kj.page, "首页", exact=True))
    assert menu.get_by_role("link", name="披露", exact=True).count() == 0
    assert menu.get_by_role("link", name="立项", exact=True).count() == 1
    partner = person("shiwei")
    partner.sign_in("shiwei")
    partner.click(link(partner.page, "个人中心", exact=True))
    tabs = partner.page.locator("main .nav-tabs")
    assert tabs.get_by_role("link", name="项目披露").count() == 0 and tabs.get_by_role("link", name="协议下载").count() == 1

    admin.click(module_row(admin.page, "disclosure").get_by_role("button", name="启用"))  # as it was for what follows
    assert "已启用" in module_row(admin.page, "disclosure").inner_text()
    kj.click(link(kj.page, "首页", exact=True))
    assert menu.get_by_role("link", name="披露", exact=True).count() == 1
    admin.check_english()
