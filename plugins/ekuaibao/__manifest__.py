{
    "name": "ekuaibao",
    "label": "合思/易快报",
    "version": "1.0.0",
    "summary": "项目与合伙人同步为合思自建应用的业务对象实例 (projects and partners pushed to Ekuaibao's datalink).",
    "depends": [],
}
