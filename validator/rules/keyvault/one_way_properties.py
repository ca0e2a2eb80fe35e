"""KV004 and KV005: Key Vault protection settings that can only be switched on."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...findings import Finding
from ..base import LintContext, Rule
from .common import (
    VAULTS,
    deploys,
    display_name,
    evaluated_property,
    maybe_deployed_note,
    property_path,
    removal_fix,
)


def is_false(value: Any) -> bool:
    """`false`, or the string "false" that ARM converts for a boolean property."""
    return value is False or (isinstance(value, str) and value.lower() == "false")


class KeyVaultPurgeProtectionFalse(Rule):
    """
    ## What it does
    Reports a `Microsoft.KeyVault/vaults` resource that sends `enablePurgeProtection: false`.

    ## Why is this bad?
    "Enabling this functionality is irreversible - that is, the property does not accept false
    as its value." The resource provider rejects `false` on every deployment, even one that
    creates a new vault:
    `The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.`

    ## Example
    ```json
    "properties": { ..., "enablePurgeProtection": false }
    ```

    ## Use instead
    Leave the property out (or send `null`) when purge protection should stay off:
    ```json
    "properties": { ... }
    ```
    For a parameter-driven value: `"[if(parameters('purgeProtection'), true(), null())]"`.

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://github.com/Azure/bicep/issues/5223
    - https://github.com/Azure/azure-rest-api-specs/issues/18106

    ## Fix safety
    The fix deletes the member when it is written as the literal `false`; it is safe, since
    Azure never accepts that value. An expression that evaluates to `false` is not fixed.
    """

    id = "KV004"
    name = "keyvault-purge-protection-false"
    severity = "error"
    summary = "a Key Vault `enablePurgeProtection: false`, which Azure always rejects"
    remedy = "leave `enablePurgeProtection` out (or send null) instead of false"
    resource_types = (VAULTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            if not deploys(vault):
                continue
            _, value = evaluated_property(vault, "enablePurgeProtection")
            if not is_false(value):
                continue
            yield self.finding(
                ctx,
                f"the vault '{display_name(vault)}' is deployed with `enablePurgeProtection: false`"
                f"{maybe_deployed_note(vault)}: Azure rejects it even on create (`The property \"enablePurgeProtection\" "
                f"cannot be set to false. Enabling the purge protection for a vault is an irreversible action.`)",
                resource=vault,
                path=property_path(vault, "enablePurgeProtection"),
                fix=removal_fix(vault, "enablePurgeProtection", False, "Remove `enablePurgeProtection: false`", "safe"),
            )


class KeyVaultSoftDeleteFalse(Rule):
    """
    ## What it does
    Reports a `Microsoft.KeyVault/vaults` resource that sends `enableSoftDelete: false`.

    ## Why is this bad?
    Soft delete is one-way: "If it's not set to any value(true or false) when creating new key
    vault, it will be set to true by default. Once set to true, it cannot be reverted to false."
    Every vault that already exists has it on (new vaults get it by default), so `false` cannot
    be applied on a redeploy; the template then states a setting the vault does not have.
    Microsoft documents no verbatim error for this request.

    ## Example
    ```json
    "properties": { ..., "enableSoftDelete": false }
    ```

    ## Use instead
    Leave the property out (soft delete is on by default) and set the retention you want:
    ```json
    "properties": { ..., "softDeleteRetentionInDays": 7 }
    ```

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview

    ## Fix safety
    The fix deletes the member when it is written as the literal `false`. It is unsafe: on a
    vault that does not exist yet, leaving the property out creates it with soft delete on.
    """

    id = "KV005"
    name = "keyvault-soft-delete-false"
    severity = "warning"
    summary = "a Key Vault `enableSoftDelete: false`, a setting that cannot be turned back off"
    remedy = "leave `enableSoftDelete` out: soft delete is on by default and cannot be turned off once on"
    resource_types = (VAULTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            if not deploys(vault):
                continue
            _, value = evaluated_property(vault, "enableSoftDelete")
            if not is_false(value):
                continue
            yield self.finding(
                ctx,
                f"the vault '{display_name(vault)}' is deployed with `enableSoftDelete: false`{maybe_deployed_note(vault)}: "
                f"soft delete is on by default and, once on, cannot be reverted to false, so a redeploy cannot apply it",
                resource=vault,
                path=property_path(vault, "enableSoftDelete"),
                fix=removal_fix(vault, "enableSoftDelete", False, "Remove `enableSoftDelete: false`", "unsafe"),
            )
