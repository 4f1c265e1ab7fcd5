{
    "name": "adjustment",
    "label": "立项调整",
    "version": "1.0.0",
    "summary": "峰值变更、立项调整、补缴/退款、补投认购（补充立项）与新增合伙 (changes after 事业合伙立项).",
    "depends": ["subscription"],
}
