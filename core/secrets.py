"""Encryption of stored secrets (AppSecret, seal keys): Fernet with a key derived from the config.

The key comes from ``GENTOU_SECRETS_KEY`` when set, else from ``SECRET_KEY`` (so rotating
SECRET_KEY without setting GENTOU_SECRETS_KEY to the old value makes stored secrets unreadable).
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "enc:"


class SecretError(RuntimeError):
    """A stored secret cannot be decrypted with the configured key."""


def _fernet() -> Fernet:
    material = (current_app.config.get("GENTOU_SECRETS_KEY") or current_app.config["SECRET_KEY"]).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"gentou", info=b"stored-secrets").derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    return PREFIX + _fernet().encrypt(data).decode()


def decrypt_bytes(stored: str) -> bytes:
    if not stored.startswith(PREFIX):
        raise SecretError("not an encrypted value")
    try:
        return _fernet().decrypt(stored[len(PREFIX):].encode())
    except InvalidToken:
        raise SecretError("the stored secret cannot be decrypted with this key") from None


def decrypt(stored: str) -> str:
    return decrypt_bytes(stored).decode()
