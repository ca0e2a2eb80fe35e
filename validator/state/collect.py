"""What to read from Azure for one expanded template: the read plan both back ends share.

Pure: no Azure SDK, no I/O. The plan lists every lookup once (deduplicated by lower-case ID or
vault name) so a run reads each resource once, however often the template mentions it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..template.model import ExpandedResource, Expansion

VAULTS = "microsoft.keyvault/vaults"
WORKSPACES = "microsoft.machinelearningservices/workspaces"

# Types whose GET is either refused by the RP or tells nothing a check needs.
UNREADABLE_TYPES = frozenset(
    {
        "microsoft.keyvault/vaults/accesspolicies",  # "The operation 'Read' is disallowed" (read the vault instead)
        "microsoft.resources/deployments",  # the nested deployment's history entry, not a resource
    }
)

# api-versions for resources the template links to but does not declare (ML workspace links):
# stable versions every public cloud serves, with the shapes the checks read.
LINK_API_VERSIONS = {
    "microsoft.keyvault/vaults": "2023-07-01",
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.insights/components": "2020-02-02",
    "microsoft.containerregistry/registries": "2023-07-01",
}
WORKSPACE_LINKS = ("keyVault", "storageAccount", "applicationInsights", "containerRegistry")

# The RBAC action each non-resource lookup needs; reported when Azure answers 403.
DELETED_VAULT_PERMISSION = "Microsoft.KeyVault/locations/deletedVaults/read"
NAME_CHECK_PERMISSION = "Microsoft.KeyVault/checkNameAvailability/read"
GROUP_LISTING_PERMISSION = "Microsoft.Resources/subscriptions/resourceGroups/resources/read"


@dataclass(frozen=True)
class ResourceRead:
    """GET one resource by ID with the api-version its type is deployed with."""

    id: str
    api_version: str
    type: str


@dataclass(frozen=True)
class DeletedVaultRead:
    """GET the soft-deleted vault `name` in `location` (a vault name is unique per cloud)."""

    name: str
    location: str
    api_version: str


@dataclass(frozen=True)
class NameCheck:
    """POST checkNameAvailability for the vault name `name`."""

    name: str
    api_version: str


@dataclass
class ReadPlan:
    """Everything one run reads, each item once."""

    subscription_id: str
    resource_group: str
    resources: list[ResourceRead] = field(default_factory=list)
    deleted_vaults: list[DeletedVaultRead] = field(default_factory=list)
    name_checks: list[NameCheck] = field(default_factory=list)
    list_group: bool = False  # complete mode: list the target group's resources

    @property
    def size(self) -> int:
        return len(self.resources) + len(self.deleted_vaults) + len(self.name_checks) + int(self.list_group)


def resource_type_of_id(resource_id: str) -> str:
    """The resource type an ID names, as written (`Microsoft.KeyVault/vaults/secrets`), or ""."""
    tail = resource_id.rstrip("/").rsplit("/providers/", 1)[-1].split("/")
    if "/providers/" not in resource_id or len(tail) < 3:
        return ""
    return "/".join([tail[0], *tail[1::2]])


def read_permission(resource_type: str) -> str:
    """The RBAC action that reads a resource of `resource_type`: `{namespace}/{type}/read`."""
    return f"{resource_type}/read"


def normalise_location(location: str) -> str:
    """`West Europe` -> `westeurope`, as the deletedVaults URL wants it."""
    return "".join(location.split()).lower()


def deleted_vault_lookup_id(subscription_id: str, location: str, name: str) -> str:
    """The ARM ID of a soft-deleted vault; a failed deleted-vault lookup (403, error) is recorded
    in `LiveState.resources` under it, since `LiveState.deleted_vaults` only holds answers."""
    return f"/subscriptions/{subscription_id}/providers/Microsoft.KeyVault/locations/{normalise_location(location)}/deletedVaults/{name}"


def name_check_lookup_id(subscription_id: str, name: str) -> str:
    """The key under which a failed name-availability check for `name` is recorded in `LiveState.resources`."""
    return f"/subscriptions/{subscription_id}/providers/Microsoft.KeyVault/checkNameAvailability/{name}"


def group_listing_id(subscription_id: str, resource_group: str) -> str:
    """The URL path of a resource group's resource listing (`LiveState.group_listing.id`)."""
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/resources"


_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-[A-Za-z0-9.]+)?$")


def _is_api_version(value: Any) -> bool:
    """A literal api-version (`2023-07-01`, `2021-06-01-preview`), not an expression only Azure knows."""
    return isinstance(value, str) and bool(_API_VERSION.match(value))


def _reads_of(resource: ExpandedResource) -> bool:
    """Deployed, or deployed under a condition (a false condition still matters in complete mode)."""
    return not resource.existing and isinstance(resource.id, str) and resource.type_lower not in UNREADABLE_TYPES


def _location_of(resource: ExpandedResource, fallback: str) -> str | None:
    location = resource.body.get("location")
    if isinstance(location, str) and location and not location.startswith("["):
        return location
    return fallback or None


def _workspace_links(resource: ExpandedResource) -> Iterable[ResourceRead]:
    properties = resource.properties if isinstance(resource.properties, dict) else {}
    wanted = {name.lower() for name in WORKSPACE_LINKS}
    for key, value in properties.items():
        if key.lower() not in wanted or not isinstance(value, str) or "/providers/" not in value:
            continue
        link_type = resource_type_of_id(value)
        api_version = LINK_API_VERSIONS.get(link_type.lower())
        if api_version is not None:
            yield ResourceRead(value, api_version, link_type)


def plan_reads(
    expansion: Expansion,
    subscription_id: str,
    resource_group: str,
    mode: str = "incremental",
    location: str = "",
) -> ReadPlan:
    """The lookups the live rules need for `expansion`, deployed to `subscription_id`/`resource_group`.

    `location` is the fallback region for a vault whose `location` only Azure knows.
    Resources whose ID or api-version is an expression the expander could not evaluate are skipped:
    there is nothing definite to read.
    """
    plan = ReadPlan(subscription_id, resource_group, list_group=mode == "complete")
    seen: set[str] = set()
    vault_names: set[str] = set()
    links: list[ResourceRead] = []

    def add(read: ResourceRead) -> None:
        key = read.id.lower().rstrip("/")
        if key not in seen:
            seen.add(key)
            plan.resources.append(read)

    for resource in expansion.resources:
        if not _reads_of(resource) or not _is_api_version(resource.api_version):
            continue
        assert isinstance(resource.id, str)
        add(ResourceRead(resource.id, resource.api_version, resource.type))
        if resource.type_lower == WORKSPACES:
            links.extend(_workspace_links(resource))
        if resource.type_lower == VAULTS and isinstance(resource.name, str):
            name = resource.name
            vault_location = _location_of(resource, location)
            # deletedVaults exist from 2018-02-14 on; an older template api-version would not serve them.
            api_version = resource.api_version if resource.api_version >= "2018-02-14" else LINK_API_VERSIONS[VAULTS]
            if name.lower() in vault_names:
                continue
            vault_names.add(name.lower())
            if vault_location is not None:
                plan.deleted_vaults.append(DeletedVaultRead(name, vault_location, api_version))
            plan.name_checks.append(NameCheck(name, api_version))
    for link in links:  # after the template's own resources, so their api-versions win
        add(link)
    return plan
