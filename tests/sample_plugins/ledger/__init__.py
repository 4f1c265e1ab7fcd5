"""Test plugin: a per-project ledger of notes."""
