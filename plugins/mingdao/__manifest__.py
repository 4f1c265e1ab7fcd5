{
    "name": "mingdao",
    "label": "明道云",
    "version": "1.0.0",
    "summary": "项目与缴款同步为明道云工作表的行 (projects and payments kept as rows of Mingdao worksheets).",
    "depends": [],
}
