"""KV104: a live vault's protections switched off, or its tenant changed, by the template."""
from __future__ import annotations

from collections.abc import Iterator

from ...findings import Finding
from ...template.model import ExpandedResource
from ..base import LintContext, Rule
from ..keyvault.common import evaluated_property, property_path
from .common import VAULTS, as_bool, display_name, live_lookup, template_tenant

PURGE_REJECTED = (
    "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is "
    "an irreversible action."
)


class KeyVaultLiveProtectionOrTenantChanged(Rule):
    """
    ## What it does
    Compares a Key Vault in Azure with what the template sends, for a vault the template deploys
    on every run, and reports:

    - `enablePurgeProtection: false` when purge protection is on in the live vault;
    - `enableSoftDelete: false` when soft delete is on in the live vault;
    - a `tenantId` other than the live vault's (compared case-insensitively; a tenant only Azure
      knows, or `subscription().tenantId` when no tenant was given to the check, is not compared).

    When the vault cannot be read (403), a note says the check was skipped and which permission is
    missing.

    ## Why is this bad?
    Purge protection and soft delete are one-way: "Enabling this functionality is irreversible -
    that is, the property does not accept false as its value", and soft delete "Once set to true,
    it cannot be reverted to false". The deployment is rejected:
    `The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.`

    All access policies and role assignments are tied to the vault's tenant: "your existing key
    vaults will be inaccessible by the service principals (users and applications)" of another
    tenant. A PUT with another `tenantId` (a template using `subscription().tenantId` after the
    subscription moved tenants, or a hard-coded tenant) moves the vault, and every policy entry
    must carry the vault's tenant.

    ## Example
    The live vault has purge protection on; the template sends:
    ```json
    "properties": { ..., "enablePurgeProtection": false, "enableSoftDelete": false }
    ```

    ## Use instead
    Leave the one-way properties out (or send `true`, or `null` for purge protection), and send the
    vault's own tenant:
    ```json
    "properties": { ..., "tenantId": "[subscription().tenantId]", "enableSoftDelete": true }
    ```

    ## References
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
    - https://learn.microsoft.com/azure/key-vault/general/move-subscription
    - https://github.com/Azure/bicep/issues/5223
    """

    id = "KV104"
    name = "keyvault-live-protection-or-tenant-changed"
    severity = "error"
    summary = "a live Key Vault's purge protection or soft delete switched off, or its tenant changed"
    remedy = "leave enablePurgeProtection / enableSoftDelete out (they are one-way) and send the vault's own tenantId"
    resource_types = (VAULTS,)
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            live = live_lookup(ctx, type(self), vault, "its one-way settings and tenant")
            if live is None:
                continue
            if live.note is not None:
                yield live.note
                continue
            if live.found is not None:
                yield from self._compare(ctx, vault, live.found.properties)

    def _compare(self, ctx: LintContext, vault: ExpandedResource, live: dict[str, object]) -> Iterator[Finding]:
        name = display_name(vault)
        _, purge = evaluated_property(vault, "enablePurgeProtection")
        if as_bool(purge) is False and as_bool(live.get("enablePurgeProtection")) is True:
            yield self.finding(
                ctx,
                f"the live vault '{name}' has purge protection on, and the template sends enablePurgeProtection: false: "
                f"the deployment is rejected (\"{PURGE_REJECTED}\")",
                resource=vault,
                path=property_path(vault, "enablePurgeProtection"),
            )
        _, soft_delete = evaluated_property(vault, "enableSoftDelete")
        if as_bool(soft_delete) is False and as_bool(live.get("enableSoftDelete")) is True:
            yield self.finding(
                ctx,
                f"the live vault '{name}' has soft delete on, and the template sends enableSoftDelete: false: soft delete "
                "cannot be turned off once on, so the deployment is rejected",
                resource=vault,
                path=property_path(vault, "enableSoftDelete"),
            )
        sent_tenant = template_tenant(vault)
        live_tenant = live.get("tenantId")
        if sent_tenant is not None and isinstance(live_tenant, str) and live_tenant.lower() != sent_tenant:
            yield self.finding(
                ctx,
                f"the template sends tenantId {sent_tenant} for the live vault '{name}', which belongs to tenant "
                f"{live_tenant.lower()}: the PUT moves the vault to the other tenant, and every access policy and role "
                "assignment tied to the current tenant stops granting access",
                resource=vault,
                path=property_path(vault, "tenantId"),
            )
