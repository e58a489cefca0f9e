"""Password hashing with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# The library's defaults: RFC 9106's second recommendation (64 MiB, three passes, four lanes).
SERVER_HASHER = PasswordHasher()
_HASHER = SERVER_HASHER
MIN_PASSWORD_LENGTH = 10
# Checked when the email is unknown, so a wrong email costs as much time as a wrong password.
_DUMMY_HASH = _HASHER.hash("waypost-timing-equaliser")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no hash to check."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why the password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    return None
