{"name": "ledger_report", "version": "0.1.0", "summary": "Reports over the ledger.", "depends": ["ledger"]}
