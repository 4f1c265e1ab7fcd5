from tests.conftest import login
from tests.factories import make_tenant


def test_smoke(app, client):
    with app.app_context():
        t = make_tenant("AAA", modules=["ledger"])
        name = t.admin.username
    login(client, name)
    for url in ["/", "/admin/projects", "/admin/companies", "/admin/users", "/admin/modules", "/admin/audit-log",
                "/admin/batches", "/admin/authorisations", "/admin/projects/new", "/admin/users/new", "/ledger/",
                "/admin/projects?lang=en"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[-2000:])
