"""KV001: an access-policy vault that every run PUTs again, replacing its access policies."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...expressions.values import Unknown
from ...findings import Finding
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, deployed_every_run, raw_key
from .common import (
    VAULTS,
    display_name,
    evaluated_property,
    linked_workspaces,
    permission_model,
    property_path,
    raw_property,
)


def policy_list_phrase(raw: Any, value: Any) -> str:
    """How the PUT's list reads in a message: its size, or the expression it comes from."""
    if isinstance(value, list):
        if not value:
            return "an empty access policy list"
        return "1 access policy" if len(value) == 1 else f"{len(value)} access policies"
    text = f"`{raw}`" if isinstance(raw, str) else "an expression only Azure evaluates"
    return f"the access policy list from {text}"


class KeyVaultAccessPoliciesReplaced(Rule):
    """
    ## What it does
    Reports a `Microsoft.KeyVault/vaults` resource that uses access policies (not
    `enableRbacAuthorization: true`) and that the template deploys on every run: it has no
    `condition`, or its condition is true with the parameters given. It is an error when the
    same template (nested deployments included) deploys an Azure ML workspace whose `keyVault`
    is this vault; a warning otherwise.

    Only vaults deployed on every run are reported: a condition only Azure can evaluate, a false
    condition (the new/existing pattern with `keyVaultOption=existing`) and `existing` resources
    are not. A vault without `accessPolicies` is KV002's concern.

    ## Why is this bad?
    A vault PUT **replaces** `properties.accessPolicies` with the template's list: "Key Vault
    clears the access policies each time the template is used". Every policy added outside the
    template (portal, `az keyvault set-policy`, another pipeline, a service) is wiped on the next
    run. An ML workspace adds its own policy for its managed identity when it is created, so the
    second run of a template that deploys both breaks the workspace's access to its secrets;
    the workspace's `keyVault` link cannot be changed afterwards either.

    ## Example
    ```json
    {
      "type": "Microsoft.KeyVault/vaults",
      "name": "[parameters('keyVaultName')]",
      "properties": { "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" },
                      "accessPolicies": [] }
    }
    ```

    ## Use instead
    Deploy the vault only when it is new, and grant access with a `vaults/accessPolicies` child
    named `add` or with RBAC:
    ```json
    {
      "condition": "[equals(parameters('keyVaultOption'), 'new')]",
      "type": "Microsoft.KeyVault/vaults",
      ...
    }
    ```
    or switch the vault to `"enableRbacAuthorization": true` and use role assignments (after
    creating role assignments equivalent to the existing policies).

    ## References
    - https://learn.microsoft.com/azure/machine-learning/how-to-create-workspace-template
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://github.com/MicrosoftDocs/azure-docs/issues/38992
    """

    id = "KV001"
    name = "keyvault-access-policies-replaced"
    severity = "warning"
    summary = "an access-policy Key Vault redeployed on every run, replacing its access policies"
    remedy = "deploy the vault only when it is new (a new/existing condition), or switch it to RBAC authorization"
    resource_types = (VAULTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            if vault.existing or not deployed_every_run(vault) or permission_model(vault) != "access policies":
                continue
            present, policies = evaluated_property(vault, "accessPolicies")
            if not present or policies is None:
                continue  # omitted or null: KV002
            yield self._finding(ctx, vault, policies)

    def _finding(self, ctx: LintContext, vault: ExpandedResource, policies: Any) -> Finding:
        workspaces = list(linked_workspaces(ctx, vault))
        listed = policy_list_phrase(raw_property(vault, "accessPolicies"), policies)
        replaced_by = "that list" if isinstance(policies, Unknown) else "this list"
        message = (
            f"the vault '{display_name(vault)}' is redeployed on every run with {listed}: the PUT replaces the "
            f"vault's access policies with {replaced_by}, so every policy added outside this template is wiped"
        )
        if workspaces:
            names = ", ".join(f"'{display_name(w)}'" for w in workspaces)
            noun = "ML workspace" if len(workspaces) == 1 else "ML workspaces"
            message += f", including the one the {noun} {names} added for its managed identity, which then loses access to its secrets"
        related = [
            ctx.related(
                f"the ML workspace '{display_name(w)}' links this vault; its identity's access policy is wiped",
                w,
                raw_key(w.raw, "properties"),
                raw_key(w.raw.get(raw_key(w.raw, "properties")), "keyVault"),
            )
            for w in workspaces
        ]
        return self.finding(
            ctx,
            message,
            resource=vault,
            path=property_path(vault, "accessPolicies"),
            severity="error" if workspaces else "warning",
            related=related,
        )
