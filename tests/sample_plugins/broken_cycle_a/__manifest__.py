{"name": "broken_cycle_a", "version": "0.1.0", "summary": "Cycle half A.", "depends": ["broken_cycle_b"]}
