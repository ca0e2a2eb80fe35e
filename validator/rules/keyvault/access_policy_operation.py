"""KV007: a `vaults/accessPolicies` child that does not do what a redeploy needs."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ...expressions.values import Unknown
from ...findings import Finding
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, deployed_every_run, raw_get, raw_key
from .common import (
    VAULT_ACCESS_POLICIES,
    deploys,
    display_name,
    evaluated_property,
    linked_workspaces,
    maybe_deployed_note,
    parent_vault,
    permission_model,
    property_path,
)

# The operation as the last, literal segment of a name only Azure resolves: `concat(x, '/add')`.
_OPERATION_AT_END = re.compile(r"[/'](add|replace|remove)'?\s*\)*\s*\]?\s*$", re.IGNORECASE)


def operation_kind(resource: ExpandedResource) -> str | None:
    """`add`, `replace` or `remove` (lower-case) from the child's name, or None when unknown."""
    if isinstance(resource.name, str):
        last = resource.name.rsplit("/", 1)[-1].lower()
        return last if last in ("add", "replace", "remove") else None
    for text in (resource.name.expression if isinstance(resource.name, Unknown) else None, raw_get(resource.raw, "name")):
        match = _OPERATION_AT_END.search(text) if isinstance(text, str) else None
        if match is not None:
            return match.group(1).lower()
    return None


class KeyVaultAccessPolicyOperationUnsafe(Rule):
    """
    ## What it does
    Reports a `Microsoft.KeyVault/vaults/accessPolicies` resource (declared at the top level as
    `vault/add`, or inside the vault's `resources` as `add`) that:
    - is named `replace` or `remove`, whatever the vault; or
    - is named `add` while this template also deploys its parent access-policy vault on every
      run (no condition, or a condition true with the parameters given).

    ## Why is this bad?
    Only `add` is documented well enough to rely on ("Add an access policy, or update an access
    policy with new permissions"; it merges per object ID and tenant). Whether `replace` and
    `remove` act on the listed principals or on the whole list is not confirmed, and what-if
    shows them as a diff of the whole list.

    `add` is the safe way to grant access to a vault the template does not own, but not when the
    template also PUTs the vault itself: the parent's `accessPolicies` (usually `[]`) wipes every
    policy first, and the `add` then restores only the principals this template lists. Policies
    added outside the template are lost, the one an ML workspace adds for its identity included.

    ## Example
    ```json
    { "type": "Microsoft.KeyVault/vaults", "name": "[parameters('kv')]", "properties": { ..., "accessPolicies": [] } },
    { "type": "Microsoft.KeyVault/vaults/accessPolicies", "name": "[concat(parameters('kv'), '/add')]", ... }
    ```

    ## Use instead
    Keep the `add` child, and deploy the vault only when it is new:
    ```json
    { "condition": "[equals(parameters('keyVaultOption'), 'new')]", "type": "Microsoft.KeyVault/vaults", ... },
    { "type": "Microsoft.KeyVault/vaults/accessPolicies", "name": "[concat(parameters('kv'), '/add')]", ... }
    ```
    or use an RBAC vault with role assignments.

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults/accesspolicies
    - https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/update-access-policy
    - https://github.com/Azure/arm-template-whatif/issues/411
    """

    id = "KV007"
    name = "keyvault-access-policy-operation-unsafe"
    severity = "warning"
    summary = "a Key Vault access-policy child whose operation does not keep the vault's other policies"
    remedy = "use an `add` child and deploy its parent vault only when it is new (or use RBAC)"
    resource_types = (VAULT_ACCESS_POLICIES,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for child in ctx.resources(VAULT_ACCESS_POLICIES):
            if not deploys(child):
                continue
            operation = operation_kind(child)
            name_path = (raw_key(child.raw, "name"),)
            if operation in ("replace", "remove"):
                yield self.finding(
                    ctx,
                    f"the access policy operation '{display_name(child)}' uses `{operation}`{maybe_deployed_note(child)}: "
                    f"whether it acts on the listed principals or on the vault's whole list is not confirmed (what-if "
                    f"shows a diff of the whole list); only `add` is documented to merge",
                    resource=child,
                    path=name_path,
                )
            elif operation == "add":
                finding = self._add_after_wipe(ctx, child, name_path)
                if finding is not None:
                    yield finding

    def _add_after_wipe(self, ctx: LintContext, child: ExpandedResource, name_path: tuple[str, ...]) -> Finding | None:
        vault = parent_vault(ctx, child)
        if vault is None or vault.existing or not deployed_every_run(vault) or permission_model(vault) != "access policies":
            return None
        present, policies = evaluated_property(vault, "accessPolicies")
        if not present or policies is None:
            return None  # omitted or null: the parent fails or wipes on its own (KV002)
        _, added = evaluated_property(child, "accessPolicies")
        count = (
            ("1 principal" if len(added) == 1 else f"{len(added)} principals") if isinstance(added, list) else "the principals"
        )
        workspaces = list(linked_workspaces(ctx, vault))
        lost = "every policy added outside this template is lost"
        if workspaces:
            names = ", ".join(f"'{display_name(w)}'" for w in workspaces)
            lost += f", including the one the ML workspace {names} added for its managed identity"
        # A child declared inside the vault with a name only Azure knows: name it after its vault.
        label = display_name(child) if isinstance(child.name, str) else f"{display_name(vault)}/add"
        return self.finding(
            ctx,
            f"the `add` access policy '{label}' runs after its parent vault '{display_name(vault)}' is "
            f"redeployed on every run: the vault PUT replaces the access policies first and `add` restores only the "
            f"{count} listed here, so {lost}",
            resource=child,
            path=name_path,
            related=[ctx.related("the parent vault's PUT replaces the access policies here", vault, *property_path(vault, "accessPolicies"))],
        )
