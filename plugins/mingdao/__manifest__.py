{
    "name": "mingdao",
    "label": "明道云",
    "version": "1.0.0",
    "summary": "项目、缴款与分配同步为明道云工作表的行 (projects, payments and payouts kept as rows of Mingdao worksheets).",
    "depends": ["subscription"],  # its payments are what the payment worksheet holds
}
