{
    "name": "subscription",
    "label": "立项与认购",
    "version": "1.0.0",
    "summary": "立项、资金峰值、合伙名单、认购、送审与缴款 (initiation, capital peak, subscription, review, payment).",
    "depends": [],
}
