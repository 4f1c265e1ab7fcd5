"""报表: the reports of the business admin and the accountants, the admin's 辅助工具 exports and each
partner's 我的投资 (with their XIRR). Reads the stages' tables; has none of its own."""
