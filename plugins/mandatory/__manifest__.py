{
    "name": "mandatory",
    "label": "强投名单",
    "version": "1.0.0",
    "summary": "强投名单：须强制跟投的人员、层级与最低认购额，带入每个项目的合伙名单 (mandatory co-investors).",
    "depends": ["subscription"],
}
