"""Live state: what the subscription holds for the resources a template touches.

Both back ends produce this: the Azure SDK provider (read live) and a snapshot file (read a week
later, or in a CI job without credentials). The live rules only ever read a `LiveState`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["found", "not_found", "forbidden", "error"]


@dataclass(frozen=True)
class LiveResource:
    """One GET of a resource by ID: found (with its body), not found (404: the resource is new),
    forbidden (403: `missing_permission` says what the caller lacks) or error (any other failure)."""

    id: str
    api_version: str
    status: Status
    body: dict[str, Any] | None = None  # the GET response: id, name, type, location, identity, properties, ...
    missing_permission: str | None = None  # e.g. "Microsoft.KeyVault/vaults/read"
    message: str | None = None  # the service's error message for forbidden / error

    @property
    def properties(self) -> dict[str, Any]:
        props = (self.body or {}).get("properties")
        return props if isinstance(props, dict) else {}


@dataclass(frozen=True)
class DeletedVault:
    """A soft-deleted Key Vault (GET .../providers/Microsoft.KeyVault/locations/{loc}/deletedVaults/{name})."""

    name: str
    location: str
    vault_id: str
    deletion_date: str | None = None
    scheduled_purge_date: str | None = None
    purge_protection_enabled: bool | None = None


@dataclass(frozen=True)
class NameAvailability:
    """POST .../providers/Microsoft.KeyVault/checkNameAvailability for a vault name."""

    name: str
    available: bool
    reason: str | None = None  # AccountNameInvalid, AlreadyExists
    message: str | None = None


@dataclass
class LiveState:
    """Everything read for one template: keyed by lower-case resource ID / vault name."""

    subscription_id: str
    resource_group: str
    resources: dict[str, LiveResource] = field(default_factory=dict)
    deleted_vaults: dict[str, DeletedVault | None] = field(default_factory=dict)  # None: looked up, none found
    vault_names: dict[str, NameAvailability] = field(default_factory=dict)
    group_resources: list[dict[str, Any]] | None = None  # complete mode: every resource of the target group (id, type, name)
    group_listing: LiveResource | None = None  # the status of the listing itself (forbidden, ...)
    captured_at: str | None = None  # ISO 8601, when the state was read
    source: str = "azure"  # "azure" (live) or the snapshot file's path

    def resource(self, resource_id: str) -> LiveResource | None:
        return self.resources.get(resource_id.lower())

    def deleted_vault(self, name: str) -> tuple[bool, DeletedVault | None]:
        """(looked up?, the soft-deleted vault if one exists)."""
        key = name.lower()
        return (key in self.deleted_vaults, self.deleted_vaults.get(key))

    def vault_name(self, name: str) -> NameAvailability | None:
        return self.vault_names.get(name.lower())
