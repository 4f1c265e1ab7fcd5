"""协议签署: agreements generated from templates, signed by partners, sealed and verifiable."""
