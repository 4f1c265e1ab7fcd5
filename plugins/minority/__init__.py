"""小股东: outside shareholders of a project, their registration, review and distributions."""
