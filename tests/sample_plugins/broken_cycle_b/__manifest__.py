{"name": "broken_cycle_b", "version": "0.1.0", "summary": "Cycle half B.", "depends": ["broken_cycle_a"]}
