"""A plugin's public pages and commands name their group company; the host resolves and gates it."""
import pytest

from tests.conftest import login
from tests.factories import make_tenant


@pytest.fixture
def two(app):
    with app.app_context():
        a = make_tenant("AAA", modules=["ledger"])
        b = make_tenant("BBB")
        return {"a": (a.group.name, a.admin.username), "b": (b.group.name, b.admin.username)}


def test_a_group_code_route_answers_only_for_a_company_that_enabled_the_plugin(client, two):
    assert client.get("/ledger/g/AAA/hello").get_data(as_text=True) == f"hello {two['a'][0]}"
    assert client.get("/ledger/g/BBB/hello").status_code == 404  # ledger not enabled for BBB
    assert client.get("/ledger/g/NOPE/hello").status_code == 404
    login(client, two["b"][1])
    assert client.get("/ledger/g/AAA/hello").status_code == 404  # signed in to another company


def test_a_company_command_resolves_and_gates_the_company(app, two):
    run = app.test_cli_runner().invoke
    ok = run(args=["gentou", "ledger-hello", "--company", "AAA", "--loud"])
    assert ok.exit_code == 0 and ok.output == f"hello {two['a'][0]}!\n"
    refused = run(args=["gentou", "ledger-hello", "--company", "BBB"])
    assert refused.exit_code != 0 and "the ledger module is not enabled for BBB" in refused.output
    unknown = run(args=["gentou", "ledger-hello", "--company", "NOPE"])
    assert unknown.exit_code != 0 and "unknown group company 'NOPE'" in unknown.output
