"""What the live rules share: finding a template resource's live counterpart in the state (and
the `note` that says a check was skipped when Azure would not let us read it), normalising IDs,
locations and booleans, naming resources, and the ML workspaces whose identity uses a vault."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...expressions.evaluator import DeploymentContext
from ...expressions.values import Unknown
from ...findings import Finding
from ...state.model import LiveResource, LiveState
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name

VAULTS = "microsoft.keyvault/vaults"
WORKSPACES = "microsoft.machinelearningservices/workspaces"

# The placeholder tenant the expander uses when no tenant was given: not a real tenant to compare.
PLACEHOLDER_TENANT = DeploymentContext().tenant_id

# What the caller needs to read each type (the 403 usually names it; these are the fallbacks).
READ_PERMISSION = {
    VAULTS: "Microsoft.KeyVault/vaults/read",
    WORKSPACES: "Microsoft.MachineLearningServices/workspaces/read",
    "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts/read",
    "microsoft.authorization/roleassignments": "Microsoft.Authorization/roleAssignments/read",
}

__all__ = [
    "PLACEHOLDER_TENANT",
    "VAULTS",
    "WORKSPACES",
    "Live",
    "WorkspaceIdentity",
    "as_bool",
    "display_name",
    "link_path",
    "live_lookup",
    "normalise_id",
    "normalise_location",
    "skipped_note",
    "template_tenant",
    "type_of_id",
    "workspace_identities",
]


@dataclass(frozen=True)
class Live:
    """A template resource and what the state says about it: `found` is the live resource when it
    exists; `note` is the skipped-check finding when it could not be read."""

    resource: ExpandedResource
    lookup: LiveResource | None
    note: Finding | None = None

    @property
    def found(self) -> LiveResource | None:
        return self.lookup if self.lookup is not None and self.lookup.status == "found" else None

    @property
    def not_found(self) -> bool:
        return self.lookup is not None and self.lookup.status == "not_found"


def normalise_id(value: Any) -> str | None:
    """A resource ID for comparison (Azure returns IDs in any casing), or None when not a string."""
    return value.strip().rstrip("/").lower() if isinstance(value, str) and value.strip() else None


def type_of_id(resource_id: str) -> str:
    """The lower-case resource type a resource ID names (`microsoft.keyvault/vaults/secrets`)."""
    tail = resource_id.lower().rstrip("/").rsplit("/providers/", 1)[-1].split("/")
    if len(tail) < 3:
        return ""
    return "/".join([tail[0], *tail[1::2]])


def normalise_location(value: Any) -> str | None:
    """`West Europe` and `westeurope` are the same region."""
    return "".join(value.split()).lower() if isinstance(value, str) and value.strip() else None


def as_bool(value: Any) -> bool | None:
    """A boolean property as Azure reads it (ARM converts "true"/"false" strings); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def resource_label(resource: ExpandedResource) -> str:
    """`the vault 'kv-prod'`-style label for messages."""
    kind = {VAULTS: "vault", WORKSPACES: "ML workspace"}.get(resource.type_lower, resource.type)
    return f"{kind} '{display_name(resource)}'"


def skipped_note(ctx: LintContext, rule: type[Rule], resource: ExpandedResource, lookup: LiveResource, purpose: str) -> Finding:
    """The one `note` a rule emits when a lookup it needs failed: what was skipped and why
    (the missing permission for a 403, the service's message otherwise)."""
    what = f"reading the {resource_label(resource)}"
    if lookup.status == "forbidden":
        permission = lookup.missing_permission or READ_PERMISSION.get(resource.type_lower, f"{resource.type}/read")
        reason = f"{what} needs {permission}"
        remedy = f"grant the identity that runs the check {permission}, or check against a snapshot taken by one that has it"
    else:
        reason = f"{what} failed" + (f": {lookup.message}" if lookup.message else "")
        remedy = "run the check again; if the failure persists, check against a snapshot"
    return rule.finding(
        ctx, f"{rule.id} skipped: {reason}; not checked: {purpose}", resource=resource, severity="note", remedy=remedy
    )


def live_lookup(ctx: LintContext, rule: type[Rule], resource: ExpandedResource, purpose: str) -> Live | None:
    """The live state of a resource the template deploys on every run; None when there is nothing
    to check (no state, an ID only Azure knows, not deployed, or the state never looked it up)."""
    state = ctx.state
    if state is None or resource.existing or resource.deployed is not True or not isinstance(resource.id, str):
        return None
    lookup = state.resource(resource.id)
    if lookup is None:
        return None
    if lookup.status in ("forbidden", "error"):
        return Live(resource, lookup, skipped_note(ctx, rule, resource, lookup, purpose))
    return Live(resource, lookup)


def template_tenant(resource: ExpandedResource) -> str | None:
    """The vault's `tenantId` as sent, lower-case; None when only Azure knows it, or when it is the
    expander's placeholder tenant from `subscription().tenantId` (no real tenant was given)."""
    properties = resource.properties if isinstance(resource.properties, dict) else {}
    value = raw_get(properties, "tenantId")
    if not isinstance(value, str) or isinstance(value, Unknown):
        return None
    written = raw_get(raw_get(resource.raw, "properties"), "tenantId")
    if value.lower() == PLACEHOLDER_TENANT and isinstance(written, str) and written.startswith("["):
        return None
    return value.lower()


def link_path(resource: ExpandedResource, name: str) -> tuple[Any, ...]:
    """The JSON path (relative to the declaration) of `properties.<name>`, or of the deepest part
    of it that is written."""
    properties_key = raw_key(resource.raw, "properties")
    properties = resource.raw.get(properties_key)
    if not isinstance(properties, dict):
        return (properties_key,) if properties_key in resource.raw else ()
    key = raw_key(properties, name)
    return (properties_key, key) if key in properties else (properties_key,)


@dataclass(frozen=True)
class WorkspaceIdentity:
    """An identity of an ML workspace that uses a vault: `object_id` lower-case; `label` says whose
    it is in a message; `declaration` is the workspace in the template, when it is there."""

    object_id: str
    label: str
    declaration: ExpandedResource | None


def _identities_of(body: dict[str, Any], name: str, declaration: ExpandedResource | None) -> Iterator[WorkspaceIdentity]:
    identity = body.get("identity")
    if not isinstance(identity, dict):
        return
    principal = identity.get("principalId")
    if isinstance(principal, str) and principal:
        yield WorkspaceIdentity(principal.lower(), f"the managed identity of the Azure ML workspace '{name}'", declaration)
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, dict):
        for identity_id, details in assigned.items():
            principal = details.get("principalId") if isinstance(details, dict) else None
            if isinstance(principal, str) and principal:
                short = identity_id.rstrip("/").rsplit("/", 1)[-1]
                label = f"the user-assigned identity '{short}' of the Azure ML workspace '{name}'"
                yield WorkspaceIdentity(principal.lower(), label, declaration)


def workspace_identities(ctx: LintContext, vault_id: str) -> dict[str, WorkspaceIdentity]:
    """The identities (by lower-case object ID) of the ML workspaces linked to the vault: those the
    template links to it (their live bodies give the principal IDs) and any live workspace in the
    state whose `keyVault` is the vault, all IDs compared case-insensitively."""
    state: LiveState | None = ctx.state
    if state is None:
        return {}
    wanted = normalise_id(vault_id)
    out: dict[str, WorkspaceIdentity] = {}
    declared: dict[str, ExpandedResource] = {}
    for workspace in ctx.resources(WORKSPACES):
        if isinstance(workspace.id, str):
            declared[workspace.id.lower()] = workspace
    for key, live in state.resources.items():
        body = live.body or {}
        if live.status != "found" or type_of_id(key) != WORKSPACES:
            continue
        declaration = declared.get(key.lower())
        linked_live = normalise_id(live.properties.get("keyVault")) == wanted
        linked_template = False
        if declaration is not None and isinstance(declaration.properties, dict):
            linked_template = normalise_id(raw_get(declaration.properties, "keyVault")) == wanted
        if not (linked_live or linked_template):
            continue
        name = str(body.get("name") or (display_name(declaration) if declaration else key.rsplit("/", 1)[-1]))
        for identity in _identities_of(body, name, declaration):
            out.setdefault(identity.object_id, identity)
    return out
