"""KV003: `createMode: recover` used to keep an existing vault."""
from __future__ import annotations

from collections.abc import Iterator

from ...expressions.parser import is_expression
from ...findings import Finding
from ..base import LintContext, Rule
from .common import (
    VAULTS,
    deploys,
    display_name,
    evaluated_property,
    maybe_deployed_note,
    property_path,
    raw_property,
    removal_fix,
)


class KeyVaultCreateModeRecover(Rule):
    """
    ## What it does
    Reports a `Microsoft.KeyVault/vaults` resource whose `createMode` is `recover`
    (case-insensitive) with the parameters given: an error. Also reports, as a warning, a
    `createMode` expression that can produce `recover` with other parameter values (its text
    contains `recover`), such as the widely copied
    `[if(parameters('vaultExists'), 'recover', 'create')]`: the run that takes the `recover`
    branch is the redeploy this pattern is meant for.

    ## Why is this bad?
    `recover` is for soft-deleted vaults: "Deployment will fail if no soft-deleted KeyVault is
    found". Used to keep an existing (live) vault, or on a first deployment, it fails with
    `SoftDeletedVaultDoesNotExist`. When a soft-deleted vault does exist, the resource provider
    restores its old settings and ignores the template's (`networkAcls`, ...). The other branch of
    the usual pattern, `'create'`, is not a valid value either (`recover` or `default`).

    ## Example
    ```json
    "createMode": "[if(parameters('vaultExists'), 'recover', 'default')]",
    "accessPolicies": "[if(parameters('vaultExists'), json('null'), json('[]'))]"
    ```

    ## Use instead
    Leave `createMode` out (or `default`) and keep an existing vault out of the deployment with a
    new/existing condition:
    ```json
    "condition": "[equals(parameters('keyVaultOption'), 'new')]"
    ```

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://github.com/Azure/azure-resource-manager-schemas/issues/521
    - https://github.com/Azure/reliable-web-app-pattern-java/issues/5
    - https://github.com/Azure/azure-rest-api-specs/issues/21306

    ## Fix safety
    The fix deletes `createMode` when it is written as the literal `recover`. It is unsafe: the
    deployment then creates or updates the vault instead of recovering a soft-deleted one, so an
    existing vault's access policies are replaced (see KV001) and a soft-deleted vault of the
    same name makes it fail with `ConflictError`. An expression is not fixed: the usual pattern
    pairs it with an `accessPolicies` expression that sends null on the same branch.
    """

    id = "KV003"
    name = "keyvault-create-mode-recover"
    severity = "error"
    summary = "a Key Vault `createMode` of `recover` used to keep an existing vault"
    remedy = "leave `createMode` out and keep an existing vault out of the deployment with a new/existing condition"
    resource_types = (VAULTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            if not deploys(vault):
                continue
            present, mode = evaluated_property(vault, "createMode")
            if not present:
                continue
            raw = raw_property(vault, "createMode")
            name = display_name(vault)
            consequence = (
                "fails with `SoftDeletedVaultDoesNotExist` unless a soft-deleted vault of that name exists, and when one "
                "does, the vault comes back with its old settings and the template's are ignored"
            )
            if isinstance(mode, str) and mode.lower() == "recover":
                yield self.finding(
                    ctx,
                    f"the vault '{name}' is deployed with `createMode: recover`{maybe_deployed_note(vault)}: it {consequence}",
                    resource=vault,
                    path=property_path(vault, "createMode"),
                    fix=removal_fix(vault, "createMode", "recover", "Remove `createMode: recover`", "unsafe"),
                )
            elif isinstance(raw, str) and is_expression(raw) and "recover" in raw.lower():
                outcome = "with other parameter values it sends" if isinstance(mode, str) else "it can send"
                yield self.finding(
                    ctx,
                    f"the `createMode` of vault '{name}' is `{raw}`: {outcome} `recover`, which {consequence}",
                    resource=vault,
                    path=property_path(vault, "createMode"),
                    severity="warning",
                )
