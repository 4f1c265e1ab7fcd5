"""明道云 (Mingdao HAP): projects and payments kept as rows of the worksheets the admin mapped."""
