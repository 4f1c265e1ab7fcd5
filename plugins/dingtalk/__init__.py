"""DingTalk (钉钉): settings, sign-in in the micro app, work notices, the group robot and OA approvals."""
