"""Secrets at rest: a column the application role must not read in the clear (an operator's
TOTP secret) is stored as a Fernet token, encrypted with ``SECRETS_KEY``.

``SECRETS_KEY`` holds one or more Fernet keys, comma-separated, newest first: a value is
encrypted with the first and decrypted with any of them, so a new key is put in front, the
stored values are re-encrypted (``rotate_stored_secrets``), and only then is the old key dropped.
"""

from __future__ import annotations

import base64
import functools
import string
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

GENERATE_KEY_COMMAND = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
_PRINTABLE = frozenset(string.printable.encode())


class MalformedSecretsKey(ValueError):
    """``SECRETS_KEY`` is not a comma-separated list of Fernet keys; the message says how."""


class SecretUnreadable(RuntimeError):
    """A stored secret was encrypted with a key that ``SECRETS_KEY`` no longer holds."""


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",")]


@functools.lru_cache(maxsize=8)
def key_ring(keys: str) -> MultiFernet:
    """The keys of a ``SECRETS_KEY`` value: encrypts with the first, decrypts with any."""
    parts = _split(keys)
    if not all(parts):
        raise MalformedSecretsKey(
            "SECRETS_KEY must be one or more Fernet keys, comma-separated, newest first, with "
            f"no empty entry; generate a key with: {GENERATE_KEY_COMMAND}"
        )
    fernets = []
    for position, key in enumerate(parts, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError as exc:  # never echo the key itself: it is a secret
            raise MalformedSecretsKey(
                f"SECRETS_KEY: key {position} of {len(parts)} is not a Fernet key (32 bytes, "
                f"URL-safe base64); generate one with: {GENERATE_KEY_COMMAND}"
            ) from exc
    return MultiFernet(fernets)


def placeholder_keys(keys: str) -> list[int]:
    """Positions (from 1) of keys that decode to readable text: an example's or the embedded
    default's, never a generated one (32 random bytes are all printable about once in 10^13)."""
    key_ring(keys)  # a malformed key is reported as such first
    return [
        position
        for position, key in enumerate(_split(keys), start=1)
        if set(base64.urlsafe_b64decode(key)) <= _PRINTABLE
    ]


def _app_key_ring() -> MultiFernet:
    return key_ring(current_app.config["SECRETS_KEY"])


def seal(plain: str) -> str:
    """``plain`` encrypted with the newest key of the app's ``SECRETS_KEY``."""
    return _app_key_ring().encrypt(plain.encode()).decode("ascii")


def unseal(token: str) -> str:
    """The plain text of a token ``seal`` made, with any key of the app's ``SECRETS_KEY``."""
    try:
        return _app_key_ring().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with SECRETS_KEY: was a key removed before "
            "`satysfakcja operators rotate-secrets` re-encrypted everything with the newest one?"
        ) from exc


def sealed_length(max_plain_bytes: int) -> int:
    """The length of the Fernet token of a text of up to ``max_plain_bytes`` UTF-8 bytes."""
    # version (1) + timestamp (8) + IV (16) + AES-CBC with PKCS7 padding + HMAC (32), base64
    raw = 1 + 8 + 16 + (max_plain_bytes // 16 + 1) * 16 + 32
    return 4 * -(-raw // 3)


class EncryptedString(sa.TypeDecorator[str]):
    """A string column stored as a Fernet token: the ORM reads and writes the plain text, the
    database (and whoever reads it with the app's role) only ever sees the token."""

    impl = sa.String
    cache_ok = True

    def __init__(self, max_plain_bytes: int) -> None:
        super().__init__(length=sealed_length(max_plain_bytes))
        self.max_plain_bytes = max_plain_bytes

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        if len(value.encode()) > self.max_plain_bytes:
            raise ValueError(f"a secret longer than {self.max_plain_bytes} bytes is not stored")
        return seal(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else unseal(value)


def encrypted_columns(metadata: sa.MetaData) -> list[sa.Column[Any]]:
    """Every ``EncryptedString`` column of the tables in ``metadata``."""
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedString)
    ]


def _stored_tokens(connection: sa.Connection, column: sa.Column[Any]) -> list[tuple[object, str]]:
    """(primary key, token) of every row where ``column`` holds a value, read undecrypted."""
    (key,) = column.table.primary_key.columns
    rows = connection.execute(
        sa.select(key, sa.type_coerce(column, sa.String)).where(column.is_not(None))
    )
    return [(row_id, token) for row_id, token in rows]


def rotate_stored_secrets(
    connection: sa.Connection, metadata: sa.MetaData, ring: MultiFernet
) -> int:
    """Re-encrypt every stored secret with the newest key of ``ring``; the number re-encrypted.

    Raises ``SecretUnreadable`` (nothing is written) when a token was made with none of its keys.
    """
    rotated = []
    for column in encrypted_columns(metadata):
        (key,) = column.table.primary_key.columns
        for row_id, token in _stored_tokens(connection, column):
            try:
                new_token = ring.rotate(token.encode("ascii")).decode("ascii")
            except (InvalidToken, UnicodeEncodeError) as exc:
                raise SecretUnreadable(
                    f"{column.table.name}.{column.name} of row {row_id} was encrypted with a key "
                    "SECRETS_KEY does not hold; put that key back (after the newest) and rotate."
                ) from exc
            rotated.append((column, key, row_id, new_token))
    for column, key, row_id, new_token in rotated:
        connection.execute(
            sa.update(column.table)
            .where(key == row_id)
            .values({column.name: sa.type_coerce(new_token, sa.String)})
        )
    return len(rotated)


def unreadable_secrets(
    connection: sa.Connection, metadata: sa.MetaData, ring: MultiFernet
) -> tuple[int, int]:
    """(how many stored secrets none of the keys of ``ring`` decrypts, how many are stored)."""
    unreadable = total = 0
    for column in encrypted_columns(metadata):
        for _, token in _stored_tokens(connection, column):
            total += 1
            try:
                ring.decrypt(token.encode("ascii"))
            except (InvalidToken, UnicodeEncodeError):
                unreadable += 1
    return unreadable, total
