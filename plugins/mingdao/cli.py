"""``flask --app wsgi gentou mingdao resync --company CODE``: 全量同步 from the command line."""
from core.sync import resync_command
from plugins.mingdao import services

mingdao_cli = resync_command(services.PLUGIN, services.resync,
                             "明道云: keep projects, payments and payouts as rows of the mapped worksheets.")
