{
    "name": "minority",
    "label": "小股东",
    "version": "1.0.0",
    "summary": "小股东：股东登记与审核、股东分配批次（审核通过后锁定）、外部股东名单 (minority shareholders).",
    "depends": ["subscription", "distribution"],
}
