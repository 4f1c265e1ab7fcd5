{
    "name": "crm",
    "label": "CRM",
    "version": "1.0.0",
    "summary": "缴款、退款与分配同步到集团 CRM（纷享销客 CRM V2 协议）的回款 (payments kept in step with the CRM).",
    "depends": ["subscription"],
}
