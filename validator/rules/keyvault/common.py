"""What the Key Vault rules share: reading a vault's properties as evaluated and as written,
its permission model and the ML workspaces linked to it."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...expressions.values import Unknown, get_property
from ...findings import Fix
from ...template.model import ExpandedResource
from ..base import LintContext, raw_get, raw_key
from ..base import display_name

VAULTS = "microsoft.keyvault/vaults"
VAULT_ACCESS_POLICIES = "microsoft.keyvault/vaults/accesspolicies"
WORKSPACES = "microsoft.machinelearningservices/workspaces"

__all__ = [
    "VAULTS",
    "VAULT_ACCESS_POLICIES",
    "WORKSPACES",
    "deploys",
    "display_name",
    "evaluated_property",
    "linked_workspaces",
    "maybe_deployed_note",
    "parent_vault",
    "permission_model",
    "property_path",
    "raw_property",
    "shown",
]


def deploys(resource: ExpandedResource) -> bool:
    """The template may deploy it: not an `existing` reference and not condition-false."""
    return not resource.existing and resource.deployed is not False


def maybe_deployed_note(resource: ExpandedResource) -> str:
    """Says so when whether the resource is deployed depends on a condition only Azure evaluates."""
    if resource.deployed is True:
        return ""
    return " (when it is deployed: its condition is only known at deployment time)"


def evaluated_property(resource: ExpandedResource, name: str) -> tuple[bool, Any]:
    """(present, value) of `properties.<name>` as Azure receives it (names case-insensitive)."""
    properties = resource.properties
    if not isinstance(properties, dict):
        return False, None
    return get_property(properties, name)


def raw_property(resource: ExpandedResource, name: str) -> Any:
    """`properties.<name>` as written in the template (None when absent or not literal)."""
    return raw_get(raw_get(resource.raw, "properties"), name)


def property_path(resource: ExpandedResource, name: str) -> tuple[Any, ...]:
    """The JSON path, relative to the declaration, of the node that writes `properties.<name>`:
    the property itself, the property `copy` loop that builds it, else `properties`, else ()."""
    raw = resource.raw
    properties = raw_get(raw, "properties")
    if properties is None:
        return ()
    properties_key = raw_key(raw, "properties")
    if not isinstance(properties, dict):
        return (properties_key,)
    if raw_key(properties, name) in properties:
        return (properties_key, raw_key(properties, name))
    loops = raw_get(properties, "copy")
    if isinstance(loops, list):
        for i, loop in enumerate(loops):
            if isinstance(raw_get(loop, "name"), str) and raw_get(loop, "name").lower() == name.lower():
                return (properties_key, raw_key(properties, "copy"), i)
    return (properties_key,)


def removal_fix(vault: ExpandedResource, name: str, literal: Any, title: str, applicability: str) -> Fix | None:
    """Deletes `properties.<name>` when it is written as the literal `literal` (a string compared
    ignoring case); an expression may give something else with other parameters, so it stays."""
    raw = raw_property(vault, name)
    written = raw.lower() == literal.lower() if isinstance(raw, str) and isinstance(literal, str) else raw is literal
    path = property_path(vault, name)
    if not written or len(path) != 2:
        return None
    from ...fixes.edits import remove_member  # only when there is something to fix: lint imports stay small

    edits = remove_member(vault.document, vault.json_path + path)
    return Fix(title, edits, applicability) if edits else None  # type: ignore[arg-type]


def permission_model(vault: ExpandedResource) -> str | None:
    """'rbac', 'access policies', or None when `enableRbacAuthorization` is only known to Azure."""
    present, value = evaluated_property(vault, "enableRbacAuthorization")
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"  # ARM converts "true"/"false" strings for boolean properties
    if not present or value is None or value is False:
        return "access policies"  # "If null or not specified, the vault is created with the default value of false."
    if value is True:
        return "rbac"
    return None


def linked_workspaces(ctx: LintContext, resource: ExpandedResource, link_property: str = "keyVault") -> Iterator[ExpandedResource]:
    """The ML workspaces this template deploys on every run whose `keyVault` (or other
    `link_property`: `storageAccount`, ...) is `resource`: the same resource ID (case-insensitive),
    or, when only Azure knows one of the IDs, a link written with the resource's type and its own
    name expression (`resourceId(..., parameters('kvName'))`)."""
    resource_id = resource.id.lower() if isinstance(resource.id, str) else None
    name_text = _name_text(resource) if isinstance(resource.name, Unknown) else None
    for workspace in ctx.resources(WORKSPACES):
        if workspace.existing or workspace.deployed is not True:
            continue
        _, link = evaluated_property(workspace, link_property)
        # Linked-resource IDs come back in any casing from Azure: compare case-insensitively.
        if isinstance(link, str) and resource_id is not None and link.rstrip("/").lower() == resource_id:
            yield workspace
        elif isinstance(link, Unknown) and name_text:
            written = raw_get(raw_get(workspace.raw, "properties"), link_property)
            for text in (link.expression, written):
                compact = "".join(text.split()).lower() if isinstance(text, str) else ""
                if resource.type_lower in compact and name_text in compact:
                    yield workspace
                    break


def shown(raw: Any, value: Any) -> str:
    """A value for a message: the expression as written when only Azure knows the value (so a
    secret is never printed: only the text that names it), else the value itself."""
    if isinstance(value, Unknown) or value is None:
        return f"`{raw}`" if isinstance(raw, str) else "an expression"
    return f"'{value}'"


def _name_text(resource: ExpandedResource) -> str:
    raw = raw_get(resource.raw, "name")
    text = raw[1:-1] if isinstance(raw, str) and raw.startswith("[") and raw.endswith("]") else str(raw)
    return "".join(text.split()).lower()


def parent_vault(ctx: LintContext, child: ExpandedResource) -> ExpandedResource | None:
    """The vault of a `vaults/accessPolicies` (or other vault child) resource, when this template
    declares it: the same vault ID, else (names only Azure knows) the vault whose `resources`
    declare the child, else a vault in the same template whose name expression is in the child's."""
    if isinstance(child.id, str):
        wanted = child.id.lower().rsplit("/", 2)[0]
        return next((v for v in ctx.resources(VAULTS) if isinstance(v.id, str) and v.id.lower() == wanted), None)
    vaults = [v for v in ctx.resources(VAULTS) if v.deployment == child.deployment]
    if isinstance(child.name, Unknown):
        for vault in vaults:
            depth = len(vault.json_path)
            if vault.document is child.document and child.json_path[:depth] == vault.json_path and len(child.json_path) > depth:
                parent_text = vault.name.expression if isinstance(vault.name, Unknown) else str(vault.name)
                if child.name.expression.lower().startswith(parent_text.lower() + "/"):
                    return vault
        declared = [
            v for v in vaults if v.document is child.document and isinstance(raw_get(v.raw, "name"), str)
            and str(raw_get(v.raw, "name")).startswith("[") and _name_text(v) in _name_text(child)
        ]
        if len(declared) == 1:
            return declared[0]
    return None
