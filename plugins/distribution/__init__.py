"""分配: where the partners' money comes back (本金分配, 利润分配, 清算分配)."""
