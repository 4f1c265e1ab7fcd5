"""立项 → 认购 → 缴款: the first business stage."""
