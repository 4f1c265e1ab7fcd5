"""``flask --app wsgi gentou ekuaibao resync --company CODE``: 全量同步 from the command line."""
from core.sync import resync_command
from plugins.ekuaibao import services

ekuaibao_cli = resync_command(services.PLUGIN, services.resync, "合思/易快报: push projects and partners as business-object instances.")
