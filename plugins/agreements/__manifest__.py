{
    "name": "agreements",
    "label": "协议签署",
    "version": "1.0.0",
    "summary": "跟投协议：模板管理、生成、签署、电子印章与验证、协议下载 (agreements generated, signed, sealed, verified).",
    "depends": ["subscription"],
}
