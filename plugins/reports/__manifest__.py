{
    "name": "reports",
    "label": "报表",
    "version": "1.0.0",
    "summary": "报表（立项及缴款汇总表、分配汇总表、员工合伙信息查询表、退出员工合伙信息查询表）、辅助工具导出与个人中心/我的投资 (reports).",
    "depends": ["subscription", "distribution"],
}
