{"name": "ledger_glue", "version": "0.1.0", "summary": "Glue that turns on with both ledger modules.",
 "depends": ["ledger", "ledger_report"], "auto_enable": True}
