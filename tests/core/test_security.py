"""Password hashing in production: argon2id at RFC 9106's low-memory cost. (The suite itself
signs in with the cheapest parameters, see ``cheap_password_hashing`` in tests/conftest.py.)"""

from __future__ import annotations

from argon2 import extract_parameters, profiles

from saas_platform.core import security
from tests.conftest import PRODUCTION_PASSWORD_HASHER, STAFF_PASSWORD


def test_passwords_are_hashed_with_argon2id_at_rfc_9106_low_memory_cost(monkeypatch):
    monkeypatch.setattr(security, "_hasher", PRODUCTION_PASSWORD_HASHER)
    stored = security.hash_password(STAFF_PASSWORD)
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert security.verify_password(stored, STAFF_PASSWORD)
    assert not security.verify_password(stored, STAFF_PASSWORD + "x")
    assert not security.verify_password(None, STAFF_PASSWORD)
