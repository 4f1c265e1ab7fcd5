{
    "name": "exit",
    "label": "退投",
    "version": "1.0.0",
    "summary": "离职退休测算、退出流程、合伙投资过户给平台公司、退出打款登记与离/退标记 (partner exits).",
    "depends": ["subscription", "distribution"],
}
