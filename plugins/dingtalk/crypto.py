"""The event callback's envelope: SHA-1 signature and AES-256-CBC (DingTalk's "加解密" scheme).

plaintext = 16 random bytes + 4-byte big-endian length + message + owner key (the CorpId, or the
AppKey for newer internal apps), PKCS#7-padded to 32-byte blocks; key = b64decode(aes_key + "="),
IV = key[:16].
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackError(ValueError):
    """A callback that is not genuine or cannot be read."""


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def verify(token: str, timestamp: str, nonce: str, encrypt: str, given: str) -> None:
    if not given or not hmac.compare_digest(signature(token, timestamp, nonce, encrypt), given):
        raise CallbackError("bad signature")


def _key(aes_key: str) -> bytes:
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise CallbackError("the AES key is not valid base64") from None
    if len(key) != 32:
        raise CallbackError("the AES key must be 43 characters")
    return key


def valid_aes_key(aes_key: str) -> bool:
    try:
        _key(aes_key)
    except CallbackError:
        return False
    return True


def decrypt(aes_key: str, encrypt: str) -> tuple[str, str]:
    """(message, owner key) from the ``encrypt`` field."""
    key = _key(aes_key)
    try:
        data = base64.b64decode(encrypt, validate=True)
    except (binascii.Error, ValueError):
        raise CallbackError("encrypt is not base64") from None
    if not data or len(data) % 16:
        raise CallbackError("encrypt has a bad length")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise CallbackError("bad padding")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise CallbackError("too short")
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise CallbackError("bad length")
    try:
        return plain[20:20 + length].decode(), plain[20 + length:].decode()
    except UnicodeDecodeError:
        raise CallbackError("not UTF-8") from None


def encrypt(aes_key: str, message: str, owner_key: str) -> str:
    key = _key(aes_key)
    body = message.encode()
    plain = os.urandom(16) + struct.pack(">I", len(body)) + body + owner_key.encode()
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()
