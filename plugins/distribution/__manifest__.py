{
    "name": "distribution",
    "label": "分配",
    "version": "1.0.0",
    "summary": "分配账户、本金分配、利润分配、清算分配、送审与分配通知 (distributions to partners).",
    "depends": ["subscription"],
}
