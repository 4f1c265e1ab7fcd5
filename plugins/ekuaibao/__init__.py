"""合思/易快报 (Ekuaibao): projects and partners mirrored as business-object instances of a self-built app."""
