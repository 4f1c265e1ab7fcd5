"""强投名单: the people who must co-invest (强制跟投) in the projects of their company."""
