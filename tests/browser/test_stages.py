"""The later stages' journeys in Chromium, on the project the main journeys built (test_journeys.py runs first):
披露 (the accountant's 盈亏动态 version with its chart, the 披露 process, the business admin's 合并发送通知 on 披露审核,
the partner's 项目披露 in 个人中心); 小股东 (股东登记 refused with a bad 统一社会信用代码, then registered, 申请审核,
审核通过); 峰值变更 (the new peak approved, the investments computed and reviewed, 立项信息变更 approved, the
partner's 补缴通知 and 投资变更); the settings pages of the modules that talk to other systems (CRM, 合思, 明道云)
and of 退投; then the exit (离职退休流程 refused without a 测算, 离职退休测算, the process approved, 合伙投资过户给
平台公司, 登记退出打款, the partner's 我的退出 and the 离 mark in 认购明细). Same page checks as the main journeys, in
Chinese and English.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_journeys import (PROJECT, TODAY, alerts, approve, button, link, module_row,
                                         open_stage, row, start_process)

GOOD_CREDIT_CODE = "91350100M000100Y43"  # GB 32100-2015 check character right
BAD_CREDIT_CODE = "91350100M000100Y44"
SHAREHOLDER = "浏览器小股东投资有限公司"


def flash(page) -> str:
    """The page's messages: flashes (role alert) and a form's error box."""
    return alerts(page) + " " + " ".join(page.locator("main .alert").all_inner_texts())


def signed_in(person, username: str):
    """A new tab of ``username``, signed in."""
    tab = person(username)
    tab.sign_in(username)
    return tab


def personal_tab(tab, name: str):
    tab.click(link(tab.page, "个人中心", exact=True))
    tab.click(tab.page.locator("main .nav-tabs").get_by_role("link", name=name, exact=True))
    tabs = tab.page.locator("main .nav-tabs")
    assert tabs.get_by_role("link", name="消息").count() == 1  # still inside 个人中心, its tabs kept


def test_disclosure_from_the_profit_version_to_the_partner(person):
    kj = signed_in(person, "hhkj")
    page = kj.page
    kj.click(link(page, "披露", exact=True))
    kj.click(row(page, PROJECT).get_by_role("link", name="盈亏动态"))
    assert "暂无版本" in page.locator("table.versions").inner_text()
    page.locator("input[name=as_of]").fill(TODAY.isoformat())
    for name, value in (("sales_revenue", "1,480,000,000"), ("net_profit", "115,000,000"), ("net_margin", "7.77"),
                        ("irr", "18.5"), ("payback_months", "30"), ("sales_to_date", "600,000,000"),
                        ("cash_collected", "520,000,000"), ("progress", "主体结构封顶")):
        page.locator(f"form input[name={name}]").last.fill(value)
    kj.click(button(page, "新增版本"))
    versions = page.locator("table.versions").inner_text()
    assert "第1版" in versions and "待披露" in versions
    expect(page.locator("main .charts svg").first).to_be_visible()  # the indicators' chart
    start_process(kj, "披露")
    assert "115,000,000" in page.locator("main").inner_text()
    kj.check_english()

    hh = signed_in(person, "hhadmin")
    approve(hh, "披露")
    hh.click(link(hh.page, "披露审核", exact=True))
    review = row(hh.page, PROJECT)
    assert "第1版" in review.inner_text()
    hh.click(review.get_by_role("link", name="查看"))
    assert "115,000,000.00" in hh.page.locator("main").inner_text()
    hh.click(link(hh.page, "披露审核", exact=True))
    hh.click(button(hh.page, "合并发送通知"))
    assert "待通知：0 人次" in hh.page.locator("main").inner_text()
    hh.check_english()

    partner = signed_in(person, "shiwei")
    personal_tab(partner, "项目披露")
    line = row(partner.page, PROJECT)
    assert "第1版" in line.inner_text() and "115,000,000.00" in line.inner_text()
    partner.click(line.get_by_role("link", name="查看"))
    expect(partner.page.locator("main svg").first).to_be_visible()
    partner.click(link(partner.page, re.compile(r"消息")))
    assert PROJECT in partner.page.locator("main").inner_text()
    partner.check_english()


def test_minority_shareholder_registered_and_approved(person):
    kj = signed_in(person, "hhkj")
    page = kj.page
    kj.click(link(page, "小股东", exact=True))
    kj.click(row(page, PROJECT).get_by_role("link", name="股东登记"))
    form = page.locator("main form").filter(has=page.locator("input[name=id_number]"))
    form.locator("input[name=name]").fill(SHAREHOLDER)
    form.locator("select[name=kind]").select_option(label="企业")
    form.locator("input[name=id_number]").fill(BAD_CREDIT_CODE)
    form.locator("input[name=stake]").fill("10")
    cooperation = form.locator("select[name=cooperation]")
    cooperation.select_option(label=next(o for o in cooperation.locator("option").all_inner_texts() if "合作方甲" in o))
    for name, value in (("contact", "张经理"), ("phone", "13800000000"), ("bank", "工商银行上海分行"),
                        ("account_name", SHAREHOLDER), ("account_number", "6222 0000 1111 2222")):
        form.locator(f"input[name={name}]").fill(value)
    kj.click_refused(form.get_by_role("button", name="保存"))
    assert "统一社会信用代码" in flash(page)
    assert "尚未登记小股东" in page.locator("main table").first.inner_text()  # nothing saved
    form = page.locator("main form").filter(has=page.locator("input[name=id_number]"))
    assert form.locator("input[name=name]").input_value() == SHAREHOLDER  # what was typed is kept
    form.locator("input[name=id_number]").fill(GOOD_CREDIT_CODE)
    kj.click(form.get_by_role("button", name="保存"))
    line = row(page, SHAREHOLDER)
    assert GOOD_CREDIT_CODE in line.inner_text() and "未申请审核" in line.inner_text()
    kj.click(line.get_by_role("button", name="申请审核"))
    kj.check_english()

    hh = signed_in(person, "hhadmin")
    hh.click(link(hh.page, "方案审核", exact=True))
    review = row(hh.page, SHAREHOLDER)
    review.get_by_placeholder("审核意见").fill("同意")
    hh.click(review.get_by_role("button", name="审核通过"))
    hh.check_english()

    kj.click(link(page, "小股东", exact=True))
    kj.click(row(page, PROJECT).get_by_role("link", name="股东登记"))
    assert "审核通过" in row(page, SHAREHOLDER).inner_text()


def open_adjustment(tab):
    tab.click(link(tab.page, "立项调整", exact=True))
    tab.click(row(tab.page, PROJECT).get_by_role("link", name="立项调整"))


def test_peak_change_through_to_the_partners_top_up_notice(person):
    kj = signed_in(person, "hhkj")
    page = kj.page
    open_adjustment(kj)
    peak = page.locator("form.card", has_text="峰值变更")
    peak.get_by_label("新资金峰值").fill("11,000,000")
    peak.get_by_label("缴款截止日期").fill("2030-06-30")
    peak.get_by_label("调整说明").fill("峰值上调 10%")
    kj.click(peak.get_by_role("button", name="保存草稿"))
    assert "11,000,000.00" in page.locator("main").inner_text()
    start_process(kj, "资金峰值调整")
    hh = signed_in(person, "hhadmin")
    approve(hh, "资金峰值调整")

    open_adjustment(kj)
    kj.click(page.locator("main .alert-info").get_by_role("link"))  # 进行中: the round
    kj.click(button(page, "峰值调整投资计算"))
    assert "+25,000.00" in row(page, "史伟").inner_text()  # 250,000 × 11,000,000 ÷ 10,000,000
    kj.click(button(page, "送审", exact=True))
    kj.check_english()

    hh.click(link(hh.page, "方案审核", exact=True))
    review = row(hh.page, PROJECT)
    review.get_by_placeholder("审核意见").fill("同意")
    hh.click(review.get_by_role("button", name="审核通过"))
    open_adjustment(kj)
    start_process(kj, "立项信息变更")
    approve(hh, "立项信息变更")
    hh.check_english()

    partner = signed_in(person, "shiwei")
    partner.click(link(partner.page, re.compile(r"消息")))
    assert f"补缴通知：{PROJECT}" in partner.page.locator("main").inner_text()
    personal_tab(partner, "投资变更")
    assert PROJECT in partner.page.locator("main").inner_text()
    partner.check_english()


def test_the_admin_sets_the_platform_company_and_opens_the_other_systems_settings(person):
    admin = signed_in(person, "admin")
    page = admin.page
    admin.click(link(page, "后台管理"))
    admin.click(link(page, "模块", exact=True))
    for name in ("crm", "ekuaibao", "mingdao"):  # settings pages only: nothing here calls the other system
        admin.click(module_row(page, name).get_by_role("link", name="设置"))
        assert page.locator("main form").count()
        admin.click(link(page, "返回"))
    admin.click(module_row(page, "exit").get_by_role("link", name="设置"))
    company_id = row(page, "置业集团").locator("td").first.inner_text().strip()
    page.get_by_label("平台公司", exact=True).fill(company_id)
    admin.click(button(page, "保存"))
    assert "已保存" in alerts(page) and page.get_by_label("平台公司", exact=True).input_value() == company_id
    admin.check_english()


def test_exit_from_the_calculation_to_the_payout(person):
    kj = signed_in(person, "hhkj")
    page = kj.page
    open_stage(kj, "基础信息")
    start_process(kj, "离职退休流程", {"离职退休测算编号": "999"})  # no such 测算
    assert "须先完成：离职退休测算" in flash(page)

    kj.click(link(page, "退出流程", exact=True))
    kj.click(row(page, PROJECT).get_by_role("link", name="离职退休测算"))
    assert "置业集团" in page.locator("main p").first.inner_text()  # the platform company the admin set
    partner_select = page.locator("#subscription")
    partner_select.select_option(label=next(o for o in partner_select.locator("option").all_inner_texts()
                                            if "史伟" in o))
    page.locator("#kind").select_option(label="离职")
    page.locator("#exit_on").fill(TODAY.isoformat())
    kj.click(button(page, "测算", exact=True))
    assert "已保存离职退休测算" in alerts(page)
    kj.click(button(page, "发起离职退休流程"))
    assert "已发起离职退休流程" in alerts(page)
    kj.check_english()

    hh = signed_in(person, "hhadmin")
    approve(hh, "离职退休流程")

    kj.click(link(page, "退出流程", exact=True))
    kj.click(row(page, PROJECT).get_by_role("link", name="离职退休测算"))
    kj.click(row(page, "史伟").get_by_role("button", name="合伙投资过户给平台公司"))
    assert "过户给平台公司" in alerts(page)
    line = row(page, "史伟")
    line.get_by_label("打款日期").fill(TODAY.isoformat())
    kj.click(line.get_by_role("button", name="登记退出打款金额及打款日期"))
    assert "已登记退出打款" in alerts(page)
    kj.check_english()

    partner = signed_in(person, "shiwei")
    personal_tab(partner, "我的退出")
    mine = partner.page.locator("main").inner_text()
    assert PROJECT in mine and "离职" in mine
    partner.check_english()

    open_stage(kj, "认购明细")
    assert "离" in row(page, "史伟").locator("td").nth(1).inner_text()
