"""披露: the dynamic profit and loss of a project (盈亏动态) and its disclosure to the partners."""
