"""KV006: an access-policy entry whose `tenantId` can differ from its vault's."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...expressions.parser import is_expression
from ...expressions.values import get_property
from ...findings import Applicability, Finding, Fix
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..idempotency.sources import declaring_template, referenced_parameters
from .common import (
    VAULT_ACCESS_POLICIES,
    VAULTS,
    deploys,
    display_name,
    evaluated_property,
    parent_vault,
    permission_model,
    property_path,
    raw_property,
)

# The tenant of the deployment: a subscription, its tenant, and a managed identity in it agree.
DEPLOYMENT_TENANT = re.compile(
    r"^\[\s*(?:(?:subscription|tenant)\(\s*\)|reference\(.*\)(?:\s*\.\s*identity)?)\s*\.\s*tenantid\s*\]$", re.IGNORECASE | re.DOTALL
)
VARIABLE_ONLY = re.compile(r"^\[\s*variables\(\s*'([^']*)'\s*\)\s*\]$", re.IGNORECASE)
# Functions whose value comes from where and when the template is deployed, not from its text.
CONTEXT_CALL = re.compile(r"\b(?:subscription|tenant|reference|deployment|resourcegroup|managementgroup|list\w*)\s*\(", re.IGNORECASE)
MAX_VARIABLE_DEPTH = 8


@dataclass(frozen=True)
class TenantSource:
    """A `tenantId` as written (`raw`), as evaluated (`value`), and what it is written from."""

    raw: Any
    value: Any
    key: str  # equal keys: the same source on every run
    context_dependent: bool  # comes from the deployment (offline, a stand-in tenant), not the text
    constant: bool  # the same value whatever the parameters and the deployment


def tenant_source(ctx: LintContext, resource: ExpandedResource, raw: Any, value: Any) -> TenantSource:
    template = declaring_template(resource)
    resolved = raw
    for _ in range(MAX_VARIABLE_DEPTH):  # a variable that only renames another value is that value
        match = VARIABLE_ONLY.match(resolved) if isinstance(resolved, str) else None
        declared = raw_get(template, "variables")
        if match is None or not isinstance(declared, dict) or raw_key(declared, match.group(1)) not in declared:
            break
        resolved = declared[raw_key(declared, match.group(1))]
    if not isinstance(resolved, str):
        return TenantSource(raw, value, repr(resolved), False, True)
    if DEPLOYMENT_TENANT.match(resolved):
        return TenantSource(raw, value, "<deployment tenant>", True, False)
    if not is_expression(resolved):
        return TenantSource(raw, value, resolved.strip().lower(), False, True)
    parameters = list(referenced_parameters(template, resolved))
    context = bool(CONTEXT_CALL.search(resolved)) or any(
        _default_from_context(ctx, resource, template, name) for name in parameters
    )
    return TenantSource(raw, value, "".join(resolved.split()).lower(), context, not parameters and not context)


def _default_from_context(ctx: LintContext, resource: ExpandedResource, template: dict[str, Any], name: str) -> bool:
    """A parameter whose value may come from the deployment: a nested template's (passed down by
    expressions) or a top-level default written with `subscription()`, `tenant()`, ..."""
    if resource.deployment is not None:
        return True
    supplied = ctx.expansion.parameters.get(name)
    if supplied is not None and supplied.origin != "default":
        return False
    declared = raw_get(raw_get(template, "parameters"), name)
    default = raw_get(declared, "defaultValue")
    return isinstance(default, str) and bool(CONTEXT_CALL.search(default))


def _shown(source: TenantSource) -> str:
    # The text as written: a tenant ID from a secure parameter is never printed, only its name.
    if isinstance(source.raw, str) and is_expression(source.raw):
        return f"`{source.raw}`"
    return f"'{source.raw}'"


class KeyVaultAccessPolicyTenantMismatch(Rule):
    """
    ## What it does
    Reports an access-policy entry (in a vault's `accessPolicies`, or in a
    `vaults/accessPolicies` child of a vault in the same template) whose `tenantId` can differ
    from the vault's `tenantId`:
    - an **error** when both are known with the parameters given and differ (case-insensitive),
      and neither comes from the deployment (`subscription()`, `tenant()`, `reference()`), which
      offline is a stand-in;
    - a **warning** when they are written from different sources and so can differ on another
      run: one is a parameter and the other `subscription().tenantId`, one comes from the
      deployment and the other is a literal, or either is only known at deployment time. Values
      that are equal only because of parameter defaults are reported too.

    Entries written exactly like the vault's `tenantId` (after following variables that only
    rename a value) are not reported; `subscription().tenantId`, `tenant().tenantId` and a managed
    identity's `reference(...).tenantId` count as the same source. Entries built by an expression
    (not an array or a property `copy` loop in the template) are not checked. RBAC vaults are out
    of scope.

    ## Why is this bad?
    "All identities in the array must use the same tenant ID as the key vault's tenant ID." A
    policy for another tenant grants nothing. After a subscription moves to another tenant, a
    template that writes the two from different sources moves one and not the other; the
    documented recovery is to change the vault's `tenantId` and re-create every policy.

    ## Example
    ```json
    "tenantId": "[parameters('tenantId')]",
    "accessPolicies": [ { "tenantId": "[subscription().tenantId]", "objectId": "...", "permissions": { ... } } ]
    ```

    ## Use instead
    Write every entry's `tenantId` exactly like the vault's:
    ```json
    "tenantId": "[subscription().tenantId]",
    "accessPolicies": [ { "tenantId": "[subscription().tenantId]", "objectId": "...", "permissions": { ... } } ]
    ```

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://learn.microsoft.com/azure/key-vault/general/move-subscription

    ## Fix safety
    The fix writes the entry's `tenantId` exactly like the vault's (when both are in the same
    template). For a warning it is unsafe: with the parameters given nothing changes, but with
    other values or after a tenant move the policy now names the vault's tenant, where the old
    one granted nothing. For an error it is display-only: the two tenants differ, and whether the
    entry's `objectId` belongs to the vault's tenant, or the vault's `tenantId` is the wrong one,
    needs a decision.
    """

    id = "KV006"
    name = "keyvault-access-policy-tenant-mismatch"
    severity = "error"
    summary = "an access-policy entry whose tenant can differ from its vault's"
    remedy = "write every access-policy entry's `tenantId` exactly like the vault's `tenantId`"
    resource_types = (VAULTS, VAULT_ACCESS_POLICIES)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for resource in ctx.resources(VAULTS, VAULT_ACCESS_POLICIES):
            if not deploys(resource):
                continue
            vault = resource if resource.type_lower == VAULTS else parent_vault(ctx, resource)
            if vault is None or vault.existing or permission_model(vault) != "access policies":
                continue
            present, vault_tenant = evaluated_property(vault, "tenantId")
            if not present:
                continue
            vault_source = tenant_source(ctx, vault, raw_property(vault, "tenantId"), vault_tenant)
            for index, path, entry_source in self._entries(ctx, resource):
                severity = self._verdict(vault_source, entry_source)
                if severity is None:
                    continue
                yield self._finding(ctx, resource, vault, index, path, vault_source, entry_source, severity)
                if index is None:
                    break  # a copy loop: one entry template, reported once

    def _entries(self, ctx: LintContext, resource: ExpandedResource) -> Iterator[tuple[int | None, tuple[Any, ...], TenantSource]]:
        """(index or None for a copy loop, path of the entry's `tenantId`, its source) per entry."""
        _, entries = evaluated_property(resource, "accessPolicies")
        if not isinstance(entries, list):
            return
        base = property_path(resource, "accessPolicies")
        written = raw_property(resource, "accessPolicies")
        if isinstance(written, list) and len(base) == 2:
            for index, raw_entry in enumerate(written):
                if not isinstance(raw_entry, dict) or raw_key(raw_entry, "tenantId") not in raw_entry or index >= len(entries):
                    continue
                _, value = evaluated_property_of(entries[index], "tenantId")
                path = base + (index, raw_key(raw_entry, "tenantId"))
                yield index, path, tenant_source(ctx, resource, raw_entry[raw_key(raw_entry, "tenantId")], value)
        elif len(base) == 3:  # a property copy loop: every entry comes from its `input`
            loop = raw_get(raw_get(resource.raw, "properties"), "copy", base[2])
            template_entry = raw_get(loop, "input")
            if not isinstance(template_entry, dict) or raw_key(template_entry, "tenantId") not in template_entry:
                return
            input_path = base + (raw_key(loop, "input"), raw_key(template_entry, "tenantId"))
            raw = template_entry[raw_key(template_entry, "tenantId")]
            for entry in entries:
                yield None, input_path, tenant_source(ctx, resource, raw, evaluated_property_of(entry, "tenantId")[1])

    @staticmethod
    def _verdict(vault: TenantSource, entry: TenantSource) -> str | None:
        if vault.key == entry.key:
            return None
        if isinstance(vault.value, str) and isinstance(entry.value, str):
            if vault.value.lower() != entry.value.lower():
                return "error" if not vault.context_dependent and not entry.context_dependent else "warning"
            return None if vault.constant and entry.constant else "warning"
        return "warning"

    def _finding(
        self,
        ctx: LintContext,
        resource: ExpandedResource,
        vault: ExpandedResource,
        index: int | None,
        path: tuple[Any, ...],
        vault_source: TenantSource,
        entry_source: TenantSource,
        severity: str,
    ) -> Finding:
        which = "the access policy entries built by this copy loop have" if index is None else f"access policy entry {index + 1} has"
        where = "" if resource is vault else f" (in '{display_name(resource)}')"
        if severity == "error":
            message = (
                f"{which} `tenantId` '{entry_source.value}'{where} but the vault '{display_name(vault)}' has "
                f"'{vault_source.value}': every entry must use the vault's tenant ID, so this policy grants nothing"
            )
        else:
            message = (
                f"{which} `tenantId` {_shown(entry_source)}{where}, written from another source than the `tenantId` "
                f"{_shown(vault_source)} of the vault '{display_name(vault)}': they differ with other parameter values "
                f"or after a tenant move, and every entry must use the vault's tenant ID"
            )
        related = [] if resource is vault else [ctx.related("the vault's tenantId", vault, *property_path(vault, "tenantId"))]
        fix = _same_tenant_fix(resource, vault, path, "display-only" if severity == "error" else "unsafe")
        return self.finding(ctx, message, resource=resource, path=path, severity=severity, related=related, fix=fix)  # type: ignore[arg-type]


def _same_tenant_fix(
    resource: ExpandedResource, vault: ExpandedResource, path: tuple[Any, ...], applicability: Applicability
) -> Fix | None:
    """Writes the entry's `tenantId` as the vault's is written, when the two are in the same
    template (so its parameters and variables mean the same)."""
    written = raw_property(vault, "tenantId")
    if not isinstance(written, str) or len(property_path(vault, "tenantId")) != 2:
        return None
    if resource.document is not vault.document or resource.deployment != vault.deployment:
        return None
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import replace_value

    edits = replace_value(resource.document, resource.json_path + path, written)
    title = f"Write the access policy's `tenantId` like the vault's: {json.dumps(written)}"
    return Fix(title, edits, applicability) if edits else None


def evaluated_property_of(entry: Any, name: str) -> tuple[bool, Any]:
    """(present, value) of a property of an evaluated access-policy entry."""
    if not isinstance(entry, dict):
        return False, None
    return get_property(entry, name)
