{
    "name": "disclosure",
    "label": "披露",
    "version": "1.0.0",
    "summary": "盈亏动态（动态盈利指标的版本、对比与图表）、披露流程、披露审核与合并通知 (disclosure to partners).",
    "depends": ["subscription"],
}
