"""Every route of the app with all modules, as every role, with hostile input (a generic regression test).

The demo (``gentou demo``) is built for its group company and a second, rival one (the same demo under other
names and accounts). Every page the roles can reach is crawled; every url rule is then requested as each role
with ids of the demo and of the rival; every POST form the pages show is posted with hostile values, with its
version missing or stale and without its CSRF token. Never a 5xx, never the other company's rows, a refused post
speaks the user's language and saves nothing; pages in English have no Chinese in their title and main heading.

Not exercised generically: file uploads (the forms are posted without their file), the DingTalk callback and
sign-in (signed payloads of DingTalk), and links carrying signed tokens are only followed as the crawl finds them.
"""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from core import demo
from core.extensions import db
from tests.browser.conftest import CJK, PLUGINS, ui_text
from tests.conftest import make_app, reset_database

RIVAL = ("RIVAL", "对手集团", "对手")
RIVAL_MARK = "对手"  # in every name of the rival's rows
DEMO_USERS = {"anonymous": None, "partner": "shiwei", "outsider": "kmkj", "accountant": "hhkj",
              "business_admin": "hhadmin", "admin": "admin"}
RIVAL_USERS = {"rival_admin": "r_admin", "rival_accountant": "r_hhkj"}
CRAWLED = {"partner", "accountant", "business_admin", "admin", *RIVAL_USERS}
# Pages anyone may open without signing in.
PUBLIC = {"auth.login", "health.healthz", "static", "dingtalk.jsapi", "dingtalk.microapp_js", "dingtalk.micro_app",
          "agreements.seal_certificate", "agreements.verify"}
SKIP_POST = {"auth.logout", "auth.login", "admin.disable_module", "dingtalk.callback", "dingtalk.login"}
# Given to the fields of a form in turn (each field gets each value once); a value longer than its column by one
# comes last. NUL and 100,000 characters go to every field at once (either alone refuses the whole post).
HOSTILE = ["\u202e\u05e9\u05dc\u05d5\u05dd 😀👨\u200d👩\u200d👧", "<script>alert(1)</script>", "=1+1", "1e309", "NaN",
           "-0", "0.001", "99999999999999999", "1,000.00", "１２３", "2026-02-30", "0000-01-01", "OVERLONG"]
EVERYWHERE = ["a\x00b", "x" * 100_000]
ENGLISH_ERRORS = re.compile(r"This field is required|Not a valid|Invalid (choice|value|date)|Field must be|"
                            r"CSRF token|Bad Request|Internal Server Error|is not a valid")


@pytest.fixture(scope="module")
def world():
    app = make_app(plugins=PLUGINS)
    reset_database(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["gentou", "demo"])
    assert result.exit_code == 0, (result.output, result.exception)
    saved = demo.GROUP, demo.PROJECTS, demo.COMPANIES, demo.USERS
    demo.GROUP = RIVAL
    demo.COMPANIES = [(f"{RIVAL_MARK}{n}", kind, parent and f"{RIVAL_MARK}{parent}", region)
                      for n, kind, parent, region in saved[2]]
    demo.PROJECTS = [(code, f"{RIVAL_MARK}{name}", f"{RIVAL_MARK}{company}", *rest)
                     for code, name, company, *rest in saved[1]]
    demo.USERS = [(f"r_{u}", f"{RIVAL_MARK}{name}", r, c and f"{RIVAL_MARK}{c}", s and s != "*" and f"{RIVAL_MARK}{s}" or s)
                  for u, name, r, c, s in saved[3]]
    import core.modules
    hooks_for = core.modules.hooks_for
    core.modules.hooks_for = lambda group_id: type("NoDemo", (), {"demo_data": lambda self, group_id: None})()
    try:  # the modules' demo rows name the demo's accounts: the rival has the host's rows, all modules enabled
        with app.app_context():
            demo.ensure_demo()
    finally:
        demo.GROUP, demo.PROJECTS, demo.COMPANIES, demo.USERS = saved
        core.modules.hooks_for = hooks_for
    yield app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            existing = set(sa.inspect(conn).get_table_names())
            for table in reversed(db.metadata.sorted_tables):
                if table.name in existing:
                    conn.execute(table.delete())


def signed_in(app, username):
    client = app.test_client()
    if username:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"username": username, "password": demo.PASSWORD, "csrf_token": token})
        assert response.status_code == 302, (username, response.get_data(as_text=True)[:500])
    return client


def endpoint_of(app, url, method="GET"):
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except Exception:  # noqa: BLE001  (not a route of the app, or not for this method)
        return None


def crawl(app, client, limit=400):
    """{url: html} of the pages ``client`` reaches from the home page, following links (one per route and ids)."""
    pages, queue, seen, per_rule = {}, ["/", "/me/"], set(), {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages[url] = html = response.get_data(as_text=True)
        for href in re.findall(r'href="(/[^"#]*)"', html):
            path = urlsplit(unescape(href)).path
            found = endpoint_of(app, path)
            if not found or found[0] == "static" or path in seen:
                continue
            key = (found[0], tuple(sorted(found[1])))
            per_rule[key] = per_rule.get(key, 0) + 1
            if per_rule[key] <= 3:  # a few projects' page of a route, not every row's
                queue.append(path)
    return pages


def snapshot(app):
    """(table, row count, checksum of the rows) of every table, to tell that a refused post saved nothing."""
    with app.app_context(), db.engine.connect() as conn:
        if "hostile_tables" not in app.extensions:
            existing = set(sa.inspect(conn).get_table_names())
            app.extensions["hostile_tables"] = [t for t in db.metadata.sorted_tables if t.name in existing]
        state = []
        for table in app.extensions["hostile_tables"]:
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table.name}"').all()
            state.append((table.name, len(rows), hash(frozenset(map(repr, rows)))))
        return state


@pytest.fixture(scope="module")
def crawled(world):
    app = world
    found, clients = {}, {}
    for role, username in {**DEMO_USERS, **RIVAL_USERS}.items():
        clients[role] = signed_in(app, username)
        if role in CRAWLED:
            found[role] = crawl(app, clients[role])
    return found, clients


def concrete_urls(app, pages_by_role, roles):
    """{rule: [url, …]} of the GET rules reached by ``roles``' crawl."""
    urls = {}
    for role in roles:
        for url in pages_by_role.get(role, {}):
            found = endpoint_of(app, url)
            if found:
                rule = app.url_map.bind("localhost").match(url, method="GET", return_rule=True)[0].rule
                urls.setdefault(rule, [])
                if url not in urls[rule]:
                    urls[rule].append(url)
    return urls


def filled(rule, ids, missing=1):
    """``rule`` with its int arguments filled from ``ids`` (the first id of the table the argument names)."""
    def one(match):
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return str(ids.get(name, missing))
        return "x"
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", one, rule)


def first_ids(app, group_code):
    """{argument name: an id of that group's row of the table the name stands for} (project_id → core_project …)."""
    from core.models import GroupCompany
    with app.app_context():
        group_id = db.session.scalar(sa.select(GroupCompany.id).where(GroupCompany.code == group_code))
        ids = {}
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                if "group_id" not in table.c or "id" not in table.c:
                    continue
                first = conn.execute(sa.select(table.c.id).where(table.c.group_id == group_id)
                                     .order_by(table.c.id).limit(1)).scalar()
                if first is None:
                    continue
                stem = table.name.rsplit("_", 1)[-1]
                ids.setdefault(f"{stem}_id", first)
                ids.setdefault(f"{table.name.split('_', 1)[-1]}_id", first)
        return ids


def test_every_route_as_every_role_never_fails_and_never_shows_another_company(world, crawled):
    app = world
    crawled, clients = crawled
    demo_urls = concrete_urls(app, crawled, ["admin", "business_admin", "accountant", "partner", "outsider"])
    rival_urls = concrete_urls(app, crawled, list(RIVAL_USERS))
    demo_ids = first_ids(app, demo.GROUP[0])
    problems = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        urls = demo_urls.get(rule.rule) or [filled(rule.rule, demo_ids)]
        for url in urls[:1]:
            for role, client in clients.items():
                response = client.get(url)
                page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                if response.status_code >= 500:
                    problems.append((role, url, response.status_code))
                elif role == "anonymous" and rule.endpoint not in PUBLIC and response.status_code != 404 and not (
                        response.status_code == 302 and "/login" in response.headers["Location"]):
                    problems.append((role, url, response.status_code, "not sent to sign in"))
                elif role.startswith("rival") and rule.arguments and response.status_code == 200 and \
                        RIVAL_MARK not in page and any(n in page for n in ("昆明-城市之光", "靖江项目", "史伟")):
                    problems.append((role, url, "shows the demo company's rows"))
        ids_in_rule = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        for url in rival_urls.get(rule.rule, [])[:1] if ids_in_rule else []:
            for role, client in clients.items():
                if role.startswith("rival"):
                    continue
                response = client.get(url)
                page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                if response.status_code >= 500 or RIVAL_MARK in page or (
                        role != "anonymous" and response.status_code not in (403, 404)):
                    problems.append((role, url, response.status_code, "another company's id"))
    assert problems == []


def form_posts(app, pages_by_role, roles):
    """[(role, page, action, endpoint, fields)] of the POST forms the pages show, one per route of the action."""
    seen, forms = set(), []
    for role in roles:
        for url, html in pages_by_role.get(role, {}).items():
            doc = lxml.html.fromstring(html)
            for form in doc.forms:
                if (form.method or "GET").upper() != "POST":
                    continue
                action = urlsplit(form.get("action") or url).path
                found = endpoint_of(app, action, "POST")
                if not found or found[0] in SKIP_POST or found[0] in seen:
                    continue
                seen.add(found[0])
                fields = []
                for element in form.inputs:
                    name = element.get("name")
                    kind = (element.get("type") or element.tag).lower()
                    if not name or kind in ("submit", "button", "file", "image", "reset"):
                        continue
                    if kind in ("checkbox", "radio") and not element.checked:
                        continue
                    value = element.value if element.tag != "select" else (
                        element.value or next((o.get("value") for o in element.findall(".//option")), ""))
                    fields.append((name, kind, value or "", element.get("maxlength")))
                forms.append((role, url, action, found[0], fields))
    return forms


def refused(client, response):
    """(whether the post was refused, the page that answers it)."""
    if response.status_code in (302, 303):
        location = response.headers["Location"]
        page = client.get(location).get_data(as_text=True) if location.startswith(("/", "http://localhost")) else ""
        return "alert-danger" in page or "alert-warning" in page, page
    page = response.get_data(as_text=True)
    return response.status_code >= 400 or "is-invalid" in page or "alert-danger" in page or \
        "invalid-feedback" in page, page


def test_every_form_refuses_hostile_input_in_the_users_language_and_saves_nothing(world, crawled):
    app = world
    crawled, clients = crawled
    problems = []
    for role, page_url, action, endpoint, fields in form_posts(
            app, crawled, ["business_admin", "admin", "accountant", "partner"]):
        client = clients[role]
        base = {}
        for name, _kind, value, _maxlength in fields:
            base.setdefault(name, []).append(value)
        texts = [(name, maxlength) for name, kind, _v, maxlength in fields
                 if kind in ("text", "textarea", "number", "date", "search", "email", "tel", "url", "input",
                             "password", "select")]
        variants = []
        for i in range(len(HOSTILE) if texts else 0):
            data = {k: list(v) for k, v in base.items()}
            for j, (name, maxlength) in enumerate(texts):
                value = HOSTILE[(i + j) % len(HOSTILE)]
                data[name] = ["字" * (int(maxlength or 1000) + 1) if value == "OVERLONG" else value]
            variants.append(("hostile", data))
        variants += [("hostile", {**base, **{name: [value] for name, _m in texts}}) for value in EVERYWHERE if texts]
        if "version" in base:
            variants.append(("missing version", {k: v for k, v in base.items() if k != "version"}))
            version = base["version"][0]
            if version.isdigit():
                variants.append(("stale version", {**base, "version": [str(int(version) - 1 if int(version) else 9)]}))
        variants.append(("missing csrf", {k: v for k, v in base.items() if k != "csrf_token"}))
        before = snapshot(app)
        for label, data in variants:
            response = client.post(action, data=data)
            if response.status_code >= 500:
                problems.append((role, action, label, response.status_code))
                continue
            no, page = refused(client, response)
            if label != "hostile" and not no:
                problems.append((role, action, label, "accepted"))
            if ENGLISH_ERRORS.search(page):
                problems.append((role, action, label, "English message", ENGLISH_ERRORS.search(page).group(0)))
            after = snapshot(app)
            changed = [b[0] for b, a in zip(before, after) if b != a]
            if no and changed and not (endpoint == "me.password" and changed == ["core_user"]):  # wrong tries count
                problems.append((role, action, label, "saved", changed))
            before = after
    assert problems == []


def test_english_pages_have_no_chinese_in_title_and_heading(world, crawled):
    app = world
    crawled, _clients = crawled
    problems = []
    for role in ("admin", "business_admin", "accountant", "partner"):
        client = signed_in(app, DEMO_USERS[role])
        client.get("/?lang=en")
        for url in crawled[role]:
            page = client.get(url).get_data(as_text=True)
            title = re.search(r"<title>(.*?)</title>", page, re.S)
            heading = re.search(r"<main[^>]*>.*?<h1[^>]*>(.*?)</h1>", page, re.S)
            for text in (title and title.group(1), heading and re.sub(r"<[^>]+>", "", heading.group(1))):
                if text and CJK.search(ui_text(unescape(text).strip())):
                    problems.append((role, url, unescape(text).strip()))
    assert problems == []


def test_every_post_route_refuses_another_companys_ids_and_a_post_without_its_token(world, crawled):
    """Every POST rule (those no page showed a form for too): with the rival's ids, as the demo's business admin,
    accountant and admin, 403/404 and nothing saved; without the CSRF token, 400 in the user's language; with the
    token and no fields, never a 5xx."""
    app = world
    _pages, clients = crawled
    rival_ids, demo_ids = first_ids(app, RIVAL[0]), first_ids(app, demo.GROUP[0])
    tokens = {role: re.search(r'name="csrf_token"[^>]* value="([^"]+)"', clients[role].get("/").get_data(as_text=True))
              .group(1) for role in ("business_admin", "accountant", "admin")}
    problems = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in SKIP_POST:
            continue
        before = snapshot(app)
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            for role, token in tokens.items():
                response = clients[role].post(filled(rule.rule, rival_ids, missing=10**9), data={"csrf_token": token})
                if response.status_code not in (403, 404):
                    problems.append((role, rule.rule, "another company's ids", response.status_code))
            if snapshot(app) != before:
                problems.append((rule.rule, "another company's ids", "saved"))
        client, url = clients["business_admin"], filled(rule.rule, demo_ids)
        response = client.post(url, data={})
        page = response.get_data(as_text=True)
        if response.status_code != 400 or snapshot(app) != before or ENGLISH_ERRORS.search(page) or not CJK.search(page):
            problems.append((url, "without the token", response.status_code))
        if client.post(url, data={"csrf_token": tokens["business_admin"]}).status_code >= 500:
            problems.append((url, "no fields", "5xx"))
    assert problems == []


def test_hostile_queries_of_every_page_and_search_form_never_fail(world, crawled):
    """The query string of every page the roles reach (its search forms' fields, page, filters): never a 5xx
    (?page=99999999999999999999 was an OFFSET beyond PostgreSQL's bigint, ?q=NUL a query PostgreSQL refuses)."""
    app = world
    pages, clients = crawled
    problems = []
    for role in ("admin", "business_admin", "accountant", "partner"):
        client = clients[role]
        for url, html in pages[role].items():
            names = {"page", "q", "project", "batch", "state", "status", "role"}
            for form in lxml.html.fromstring(html).forms:
                if (form.method or "GET").upper() == "GET":
                    names |= {element.get("name") for element in form.inputs if element.get("name")}
            for value in ("a\x00b", "99999999999999999999", "1e309", "x" * 5000):
                response = client.get(urlsplit(url).path, query_string={name: value for name in names})
                if response.status_code >= 500:
                    problems.append((role, url, value[:20], response.status_code))
    assert problems == []
