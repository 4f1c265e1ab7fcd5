{
    "name": "ledger",
    "label": "台账（测试）",
    "version": "1.0.0",
    "summary": "A tiny plugin that proves the host: model, blueprint, menu, hook, job, migration branch.",
    "depends": [],
}
