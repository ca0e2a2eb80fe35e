"""KV002: an access-policy vault deployed without `accessPolicies`."""
from __future__ import annotations

from collections.abc import Iterator

from ...expressions.values import Unknown
from ...findings import Finding
from ..base import LintContext, Rule
from .common import (
    VAULTS,
    deploys,
    display_name,
    evaluated_property,
    maybe_deployed_note,
    permission_model,
    property_path,
)


class KeyVaultAccessPoliciesMissing(Rule):
    """
    ## What it does
    Reports a `Microsoft.KeyVault/vaults` resource that uses access policies (not
    `enableRbacAuthorization: true`) and sends `properties` without `accessPolicies` (or with
    `accessPolicies: null`), while `createMode` is not `recover`. `existing` and condition-false
    resources are not reported; a vault whose `createMode` only Azure can evaluate is not either.

    ## Why is this bad?
    Leaving the list out is not a way to keep the vault's current policies. The resource provider
    requires `accessPolicies` unless `createMode` is `recover` ("When `createMode` is set to
    `recover`, access policies are not required. Otherwise, access policies are required."):
    users report the deployment failing with
    `BadRequest: The parameter accessPolicies is not specified.`, on create and on redeploy.
    Another report says the redeploy went through and every existing policy was gone. Neither
    outcome keeps the policies.

    ## Example
    ```json
    "properties": { "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" } }
    ```

    ## Use instead
    Deploy the vault only when it is new (a new/existing condition) and send the list it should
    start with, or use RBAC:
    ```json
    "properties": { "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" },
                    "enableRbacAuthorization": true }
    ```

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://github.com/Azure/azure-resource-manager-schemas/issues/521
    - https://github.com/Azure/azure-sdk-for-net/issues/28677
    - https://github.com/MicrosoftDocs/azure-docs/issues/87727
    """

    id = "KV002"
    name = "keyvault-access-policies-missing"
    severity = "error"
    summary = "an access-policy Key Vault deployed without an access policy list"
    remedy = "send the access policy list on a vault that is created (new/existing condition), or use RBAC authorization"
    resource_types = (VAULTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            if not deploys(vault) or not isinstance(vault.properties, dict):
                continue
            if permission_model(vault) != "access policies":
                continue
            present, policies = evaluated_property(vault, "accessPolicies")
            if present and policies is not None:
                continue
            _, create_mode = evaluated_property(vault, "createMode")
            if isinstance(create_mode, Unknown) or (isinstance(create_mode, str) and create_mode.lower() == "recover"):
                continue  # recover does not require the list; an Unknown mode might be recover
            sent = "with `accessPolicies: null`" if present else "without `accessPolicies`"
            yield self.finding(
                ctx,
                f"the access-policy vault '{display_name(vault)}' is deployed {sent}{maybe_deployed_note(vault)}: "
                f"Azure rejects it (`BadRequest: The parameter accessPolicies is not specified.`) or, as one report "
                f"says, wipes every existing policy; leaving the list out never keeps them",
                resource=vault,
                path=property_path(vault, "accessPolicies"),
            )
