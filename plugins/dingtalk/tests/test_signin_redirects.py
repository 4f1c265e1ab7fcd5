"""The micro app's sign-in follows ``next`` only to a page of this site (the host's one check, core.redirects)."""
import pytest

from plugins.dingtalk.tests.test_signin import APP, post_code, signed_in_as
from tests.conftest import form_version, login, post
from tests.test_security import HOSTILE, assert_secured, lands_on_this_site


@pytest.mark.parametrize("next_url", HOSTILE)
def test_the_micro_app_sign_in_never_redirects_off_the_site(app, world, next_url):
    client = app.test_client()
    response = post_code(client, world["fake"].issue_code("dt-aaa_p"), next_url=next_url)
    assert response.status_code == 302 and lands_on_this_site(response.headers["Location"]), response.headers
    assert signed_in_as(client) == "aaa_p"
    again = client.get(APP, query_string={"next": next_url})  # signed in already: straight on
    assert again.status_code == 302 and lands_on_this_site(again.headers["Location"])


def test_the_micro_app_keeps_a_path_of_this_site_and_sends_the_security_headers(app, world):
    client = app.test_client()
    page = client.get(APP, query_string={"next": "/me/messages?page=2"})
    assert_secured(page)
    assert_secured(client.get("/dingtalk/microapp.js"))
    response = post_code(client, world["fake"].issue_code("dt-aaa_p"), next_url="/me/messages?page=2")
    assert response.headers["Location"] == "/me/messages?page=2"


def test_a_binding_saved_goes_back_only_to_this_site(app, world):
    admin = login(app.test_client(), world["admin"])
    url = f"/dingtalk/bindings/{world['partner']}"
    response = post(admin, url, {"userid": "dt-aaa_p", "version": form_version(admin, "/dingtalk/bindings", url)},
                    headers={"Referer": "https://evil.example/dingtalk/bindings"})
    assert response.headers["Location"] == "/dingtalk/bindings"
