"""Where a `LiveState` comes from: Azure (read live) or a snapshot file; what both share.

The Azure back end (`validator.state.azure`) is imported only when a live read is asked for, so
`lint` never loads the Azure SDK.

Redaction: live bodies are kept for the checks, minus anything that could be a secret. ARM GETs
do not return storage keys or secret values, but to be safe every *string* value whose property
name contains `password`, `secret`, `connectionString` or `sasToken`, or ends in `key`
(`primaryKey`, `accessKey`, `InstrumentationKey`, ...), is replaced by `<redacted>`, and so is
`properties.value` of `Microsoft.KeyVault/vaults/secrets`. Lists (the `keys`/`secrets` permission
lists of access policies) and IDs (`keyVault`, `keyVaultId`, `keyIdentifier`) are kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

REDACTED = "<redacted>"
_SECRET_NAME = re.compile(r"password|secret|connectionstring|sastoken|key$", re.IGNORECASE)
_SECRET_VALUE_TYPES = frozenset({"microsoft.keyvault/vaults/secrets"})


class StateError(Exception):
    """The state could not be read at all (no credentials, unreachable endpoint, bad snapshot):
    the command prints the message and exits 2."""


@dataclass(frozen=True)
class AzureTarget:
    """Which Azure to read: a named cloud or an explicit ARM endpoint, and the time budget."""

    cloud: str = "AzureCloud"
    arm_endpoint: str | None = None  # Azure Stack Hub, private clouds, the tests' emulator
    timeout: float = 120.0  # seconds for the whole read, retries included
    workers: int = 16  # concurrent lookups


def redact_secrets(value: Any, resource_type: str = "") -> Any:
    """A copy of a live body with possible secrets replaced by `<redacted>` (see the module docstring)."""
    body = _redact(value)
    if resource_type.lower() in _SECRET_VALUE_TYPES and isinstance(body, dict):
        properties = body.get("properties")
        if isinstance(properties, dict) and "value" in properties:
            body["properties"] = {**properties, "value": REDACTED}
    return body


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(item, str) and item and _SECRET_NAME.search(key) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


def open_azure(subscription_id: str, target: AzureTarget) -> Any:
    """An `AzureSession` (a context manager that signs in on entry) for `subscription_id`.
    Raises `StateError` when nothing can be read (no credentials, unreachable endpoint)."""
    from .azure import AzureSession  # the Azure SDK loads here, not at import time

    return AzureSession(subscription_id, target)
