"""KV102: the template switches a live vault between access policies and RBAC."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...expressions.values import Unknown
from ...findings import Finding
from ...template.model import ExpandedResource
from ..base import LintContext, Rule
from ..keyvault.common import evaluated_property, permission_model, property_path
from .common import VAULTS, as_bool, display_name, live_lookup, workspace_identities

_INSUFFICIENT = (
    "the switch needs Microsoft.Authorization/roleAssignments/write (Owner or User Access Administrator) besides "
    "Microsoft.KeyVault/vaults/write; without it the deployment fails with InsufficientPermissions "
    "(\"Caller is not allowed to change permission model.\")"
)


def _policy_principals(live_policies: Any) -> list[str]:
    """The object IDs in the vault's stored access policies, lower-case, in order, once each."""
    out: list[str] = []
    for entry in live_policies if isinstance(live_policies, list) else []:
        object_id = entry.get("objectId") if isinstance(entry, dict) else None
        if isinstance(object_id, str) and object_id.lower() not in out:
            out.append(object_id.lower())
    return out


class KeyVaultLivePermissionModelFlip(Rule):
    """
    ## What it does
    Compares `enableRbacAuthorization` of a Key Vault in Azure with the value the template sends,
    for a vault the template deploys on every run, and reports a switch of the permission model
    in either direction. A template that omits the property sends the default, `false`: for a
    vault made with the Azure CLI (RBAC by default since 2.61.0) that is a switch to access
    policies. The message lists the principals of the vault's stored access policies, naming the
    ML workspaces whose identity is one of them.

    Role assignments are not read by this check (it would need a listing of the vault's role
    assignments), so it cannot say whether equivalent RBAC roles exist; it says so. When the vault
    cannot be read (403), a note says the check was skipped and which permission is missing.

    ## Why is this bad?
    - `false` to `true`: "enabling Azure RBAC permission model will invalidate all existing access
      policies". Every principal with an access policy, an ML workspace's identity included,
      loses data-plane access unless it has Key Vault role assignments.
    - `true` to `false`: the role assignments stop granting data-plane access, and the vault is
      governed by the access policies again: the ones the same PUT sends, which replace whatever
      was still stored.

    Either way the deployer needs `Microsoft.Authorization/roleAssignments/write`; without it the
    deployment fails with `InsufficientPermissions` ("Caller is not allowed to change permission
    model.").

    ## Example
    The live vault uses access policies; the template sends:
    ```json
    "properties": { "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" },
                    "enableRbacAuthorization": true }
    ```

    ## Use instead
    Migrate deliberately: create role assignments equivalent to every access policy first (the
    mapping table of the RBAC migration guide), then switch the model, with a deployer allowed to
    write role assignments. To keep the current model, send the live value:
    ```json
    "enableRbacAuthorization": false
    ```

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/rbac-migration
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://github.com/Azure/bicep/issues/13541
    """

    id = "KV102"
    name = "keyvault-live-permission-model-flip"
    severity = "error"
    summary = "a live Key Vault whose permission model (access policies or RBAC) the template switches"
    remedy = "send the vault's current enableRbacAuthorization, or migrate first: equivalent role assignments, then the switch"
    resource_types = (VAULTS,)
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            sent = permission_model(vault)
            if sent is None:
                continue  # only Azure knows the value sent
            live = live_lookup(ctx, type(self), vault, "whether the permission model changes")
            if live is None:
                continue
            if live.note is not None:
                yield live.note
                continue
            if live.found is None:
                continue
            live_rbac = as_bool(live.found.properties.get("enableRbacAuthorization")) is True
            if live_rbac == (sent == "rbac"):
                continue
            yield self._finding(ctx, vault, live.found.properties, to_rbac=not live_rbac)

    def _finding(self, ctx: LintContext, vault: ExpandedResource, live: dict[str, Any], to_rbac: bool) -> Finding:
        assert isinstance(vault.id, str)
        name = display_name(vault)
        principals = _policy_principals(live.get("accessPolicies"))
        identities = workspace_identities(ctx, vault.id)
        named = [identities[p].label for p in principals if p in identities]
        others = [p for p in principals if p not in identities]
        labels = [*named, *(f"objectId {p}" for p in others)]
        who = ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else "".join(labels)
        if to_rbac:
            if principals:
                lose = (
                    f"its {len(principals)} access polic{'y' if len(principals) == 1 else 'ies'} stop working, so "
                    f"{who} lose{'s' if len(principals) == 1 else ''} data-plane access unless "
                    f"{'it has' if len(principals) == 1 else 'they have'} Key Vault role assignments "
                    "(not visible to this check: list them with `az role assignment list --scope <vault id>`)"
                )
            else:
                lose = "its access policies stop applying (it has none stored) and only role assignments grant data-plane access"
            message = f"the template switches the live vault '{name}' from access policies to RBAC: {lose}"
        else:
            present, value = evaluated_property(vault, "enableRbacAuthorization")
            how = "omits enableRbacAuthorization, which resets it to the default false" if not present or value is None else "sets enableRbacAuthorization to false"
            _, policies = evaluated_property(vault, "accessPolicies")
            if isinstance(policies, list) and policies:
                sent = f"only the {len(policies)} access polic{'y' if len(policies) == 1 else 'ies'} the template sends apply"
            elif isinstance(policies, Unknown):
                sent = "only the access policies the template sends apply"
            else:
                sent = "the template sends no access policies, so nobody keeps data-plane access"
            message = (
                f"the template {how} on the live RBAC vault '{name}': its role assignments stop granting data-plane "
                f"access, and {sent}"
            )
            if principals:
                message += f", replacing the {len(principals)} still stored on the vault ({who})"
        message += f"; {_INSUFFICIENT}"
        return self.finding(ctx, message, resource=vault, path=property_path(vault, "enableRbacAuthorization"))
