{
    "name": "dingtalk",
    "label": "钉钉",
    "version": "1.0.0",
    "summary": "钉钉微应用登录、工作通知、群机器人与OA审批 (DingTalk sign-in, work notices, robot, approvals).",
    "depends": [],
}
