"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile).

Hashes carry their own parameters, so raising them later only needs `needs_rehash` at the next
successful login.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
# Verified against when the email is unknown, so a wrong email takes as long as a wrong
# password and response times do not tell which accounts exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; False for a malformed hash too."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time(password: str) -> None:
    """Spend the time one verification takes (see `_DUMMY_HASH`)."""
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A random password to show once (about 96 bits)."""
    return secrets.token_urlsafe(12)
