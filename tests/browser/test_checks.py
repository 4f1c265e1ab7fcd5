"""The checks of every page catch what they are for: a page without Chinese, a console error, a failed request,
a request to another host (stopped before it leaves)."""
import pytest


def test_the_page_checks_catch_problems(person):
    tab = person("checks")
    tab.sign_in("admin")
    tab.page.goto(f"{tab.base}/?lang=en")
    with pytest.raises(AssertionError, match="title without Chinese"):
        tab.check_page()
    tab.page.goto(f"{tab.base}/?lang=zh")
    tab.check_page()

    tab.page.evaluate("console.error('boom')")
    tab.page.evaluate("fetch('/no-such-page').catch(() => null)")
    outside = tab.base.replace("127.0.0.1", "localhost")  # another host, still on this machine
    tab.page.evaluate(f"fetch('{outside}/').catch(() => null)")  # refused by the app's Content-Security-Policy
    tab.page.wait_for_timeout(500)
    with pytest.raises(Exception):
        tab.page.goto(f"{outside}/login")  # a navigation: stopped by the route guard
    with pytest.raises(AssertionError) as caught:
        tab.assert_clean()
    found = str(caught.value)
    assert "console error" in found and "boom" in found
    assert "404 for GET" in found and "/no-such-page" in found
    assert "Content Security Policy" in found
    assert f"request leaving 127.0.0.1: {outside}/login" in found
    tab.assert_clean()  # each problem is reported once
