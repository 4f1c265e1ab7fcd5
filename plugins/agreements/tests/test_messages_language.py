"""What core.documents says (a seal's verdict, a template or PKCS#12 it refuses) reaches the reader in their
language: on the 协议验证 and 模板管理 pages (?lang=) and in ``gentou verify --lang``."""
import io

import pytest

from core import documents
from plugins.agreements.tests.test_agreements import sign, world  # noqa: F401
from plugins.agreements.tests.test_sealed_file import tamperings
from tests.conftest import login, post

VERDICTS = {
    "zh": {"intact": "印章完整有效", "modified": "文件在盖章后被修改过", "unreadable": "文件已损坏或被篡改，无法读取",
           "unsealed": "文件没有电子印章"},
    "en": {"intact": "The seal is intact and valid", "modified": "The file was modified after it was sealed",
           "unreadable": "The file is damaged or has been tampered with and cannot be read",
           "unsealed": "The file carries no digital seal"},
}


def files(app, world):
    client, page = sign(app, world)
    assert "协议已签署并加盖电子印章" in page
    sealed = client.get(f"/agreements/{world['tokens'][world['partner']]}/download").data
    unsealed = login(app.test_client(), world["other"]).get(f"/agreements/{world['tokens'][world['other']]}/download")
    return {"intact": sealed, "modified": tamperings(sealed)["middle byte"],
            "unreadable": tamperings(sealed)["garbage"], "unsealed": unsealed.data}


def verify_page(app, data: bytes, lang: str) -> str:
    client = app.test_client()
    client.get(f"/agreements/verify?lang={lang}")
    return post(client, "/agreements/verify", {"file": (io.BytesIO(data), "a.pdf")},
                content_type="multipart/form-data").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_verify_page_gives_the_verdict_in_the_readers_language(app, world, lang):
    other = VERDICTS["en" if lang == "zh" else "zh"]
    for case, data in files(app, world).items():
        page = verify_page(app, data, lang)
        assert VERDICTS[lang][case] in page and other[case] not in page, (lang, case)


def test_gentou_verify_gives_the_verdict_in_the_language_of_lang(app, world, tmp_path):
    runner = app.test_cli_runner()
    for case, data in files(app, world).items():
        path = tmp_path / f"{case}.pdf"
        path.write_bytes(data)
        for args, lang in [([], "zh"), (["--lang", "zh"], "zh"), (["--lang", "en"], "en")]:
            result = runner.invoke(args=["gentou", "verify", str(path), *args])
            assert result.exit_code == (0 if case == "intact" else 1), (case, args, result.output)
            first = result.output.splitlines()[0]
            assert first.endswith(": " + VERDICTS[lang][case]), (case, args, result.output)
            if case == "intact":  # the labels in the same language as the verdict
                labels = ("盖章人：", "协议：", "合伙人：") if lang == "zh" else ("sealed by: ", "agreement: ", "partner: ")
                assert all(label in result.output for label in labels), (args, result.output)
                assert ("sealed by" in result.output) == (lang == "en"), (args, result.output)
    assert runner.invoke(args=["gentou", "verify", str(path), "--lang", "fr"]).exit_code == 2


@pytest.mark.parametrize("lang, messages", [
    ("zh", ["未知占位符：{{ partner.nmae }}", "模板无法渲染：", "模板语法错误（第 1 行）：",
            "无法打开 PKCS#12 文件：文件或密码不正确"]),
    ("en", ["Unknown placeholder: {{ partner.nmae }}", "The template cannot be rendered: ",
            "Template syntax error (line 1): ", "Cannot open the PKCS#12 file: wrong file or password"]),
])
def test_refused_templates_and_seal_files_are_told_in_the_readers_language(app, world, lang, messages):
    admin = login(app.test_client(), world["admin"])
    admin.get(f"/agreements/admin/templates?lang={lang}")
    for html, message in zip(["<p>{{ partner.nmae }}</p>", "<p>{{ partner.name.__class__.__mro__ }}</p>",
                              "<p>{{ partner.name </p>"], messages):
        page = post(admin, "/agreements/admin/templates", {"name": "坏模板", "html": html, "css": ""})
        assert message in page.get_data(as_text=True), (lang, html)
    p12, _pem = documents.make_seal_certificate("AAA集团", b"long-enough-pass")
    page = post(admin, "/agreements/admin/seal", {"pkcs12": (io.BytesIO(p12), "seal.p12"),
                                                  "passphrase": "wrong-password"},
                content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert messages[3] in page
