"""KV103: a vault name that a soft-deleted vault or a vault elsewhere holds, or a recovery with
nothing to recover."""
from __future__ import annotations

from collections.abc import Iterator

from ...findings import Finding
from ...state.collect import DELETED_VAULT_PERMISSION, NAME_CHECK_PERMISSION
from ...state.model import DeletedVault
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_key
from ..keyvault.common import evaluated_property, property_path
from .common import VAULTS, live_lookup

CONFLICT = (
    "A vault with the same name already exists in deleted state. You need to either recover or purge existing key "
    "vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete."
)


def _deleted_phrase(deleted: DeletedVault) -> str:
    """`(deleted 2026-01-02T..., in westeurope, purge scheduled ...)`."""
    parts = [f"deleted {deleted.deletion_date}" if deleted.deletion_date else "deleted", f"in {deleted.location}"]
    if deleted.scheduled_purge_date:
        parts.append(f"purged automatically on {deleted.scheduled_purge_date}")
    if deleted.purge_protection_enabled:
        parts.append("purge protection on, so it cannot be purged before then")
    return ", ".join(parts)


class KeyVaultLiveNameConflict(Rule):
    """
    ## What it does
    For a vault the template deploys on every run and that does not exist in the target resource
    group, reports what the vault-name lookups in Azure say will make the deployment fail:

    - a soft-deleted vault with the same name exists and `createMode` is not `recover`;
    - `createMode` is `recover` and no soft-deleted vault with that name exists;
    - Key Vault's name check (`checkNameAvailability`) says the name is taken (`AlreadyExists`),
      by a vault in another resource group or subscription, or says it is invalid.

    A vault that exists in the target resource group is a redeploy, not a name conflict. When the
    vault cannot be read (403), a note says the name checks were skipped and which permission is
    missing: a name that is taken may be the vault itself. A soft-deleted-vault lookup or a name
    check that Azure refused gives a note of its own, and the other check still runs.

    ## Why is this bad?
    Vault names are global and survive deletion while the vault is soft-deleted:
    - creating a vault whose name a soft-deleted vault holds fails with 409 `ConflictError`:
      "A vault with the same name already exists in deleted state. You need to either recover or
      purge existing key vault." What-if does not predict it.
    - `createMode: recover` without a soft-deleted vault fails with
      `SoftDeletedVaultDoesNotExist`.
    - a name that another vault holds fails with `VaultAlreadyExists`: "The vault name '…' is
      already in use. Vault names are globaly unique so it is possible that the name is already
      taken."

    ## Example
    `kv-prod` was deleted last week (soft delete keeps it for 90 days); the template creates it
    again:
    ```json
    { "type": "Microsoft.KeyVault/vaults", "name": "kv-prod", "properties": { ... } }
    ```

    ## Use instead
    Recover the soft-deleted vault (`az keyvault recover -n kv-prod`, or one deployment with
    `"createMode": "recover"`), purge it if it is not needed (`az keyvault purge -n kv-prod`,
    impossible under purge protection), or pick another name, e.g.
    `[concat('kv-', uniqueString(resourceGroup().id))]`.

    ## References
    - https://learn.microsoft.com/azure/key-vault/general/key-vault-recovery
    - https://learn.microsoft.com/rest/api/keyvault/keyvault/vaults/check-name-availability
    - https://github.com/Azure/azure-cli/issues/19846
    """

    id = "KV103"
    name = "keyvault-live-name-conflict"
    severity = "error"
    summary = "a vault name held by a soft-deleted vault or another vault, or a recovery with nothing to recover"
    remedy = "recover or purge the soft-deleted vault, or choose a vault name nobody holds"
    resource_types = (VAULTS,)
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            live = live_lookup(ctx, type(self), vault, "whether the vault name is free")
            if live is None or not isinstance(vault.name, str):
                continue
            if live.note is not None:
                yield live.note
                continue
            if not live.not_found:
                continue  # it exists in the target group: a redeploy
            yield from self._conflicts(ctx, vault, vault.name)

    def _failed_lookups(self, ctx: LintContext, vault: ExpandedResource, name: str) -> Iterator[Finding]:
        """A note for each name lookup Azure refused: the collector records those under a
        `deletedVaults/{name}` or `checkNameAvailability/{name}` key of the state's resources."""
        assert ctx.state is not None
        lookups = (
            ("/deletedvaults/", "looking up soft-deleted vaults", DELETED_VAULT_PERMISSION, "whether a soft-deleted vault holds the name"),
            ("/checknameavailability/", "checking the name's availability", NAME_CHECK_PERMISSION, "whether another vault holds the name"),
        )
        for marker, what, permission, purpose in lookups:
            failed = next(
                (
                    r for key, r in ctx.state.resources.items()
                    if key.rstrip("/").endswith(marker + name.lower()) and r.status in ("forbidden", "error")
                ),
                None,
            )
            if failed is None:
                continue
            if failed.status == "forbidden":
                reason = f"{what} for '{name}' needs {failed.missing_permission or permission}"
            else:
                reason = f"{what} for '{name}' failed" + (f": {failed.message}" if failed.message else "")
            yield self.finding(ctx, f"{self.id} skipped: {reason}; not checked: {purpose}", resource=vault, severity="note")

    def _conflicts(self, ctx: LintContext, vault: ExpandedResource, name: str) -> Iterator[Finding]:
        assert ctx.state is not None
        yield from self._failed_lookups(ctx, vault, name)
        present, mode = evaluated_property(vault, "createMode")
        recover = isinstance(mode, str) and mode.lower() == "recover"
        mode_known = not present or mode is None or isinstance(mode, str)
        looked_up, deleted = ctx.state.deleted_vault(name)
        name_path = (raw_key(vault.raw, "name"),)
        if looked_up and deleted is not None and not recover:
            where = property_path(vault, "createMode") if present else name_path
            unless = "" if mode_known else " unless its createMode evaluates to 'recover'"
            yield self.finding(
                ctx,
                f"a soft-deleted vault named '{name}' exists ({_deleted_phrase(deleted)}): creating the vault "
                f"fails{unless} with 409 ConflictError: \"{CONFLICT}\"",
                resource=vault,
                path=where,
                severity="error" if mode_known else "warning",
            )
            return
        if looked_up and deleted is None and recover:
            yield self.finding(
                ctx,
                f"the vault '{name}' has createMode 'recover', but it does not exist and no soft-deleted vault of that "
                "name exists: the deployment fails with SoftDeletedVaultDoesNotExist",
                resource=vault,
                path=property_path(vault, "createMode"),
            )
            return
        availability = ctx.state.vault_name(name)
        if availability is None or availability.available or (looked_up and deleted is not None):
            return
        said = f": \"{availability.message}\"" if availability.message else ""
        if (availability.reason or "").lower() == "alreadyexists":
            message = (
                f"the vault name '{name}' is taken by a vault outside the resource group '{ctx.state.resource_group}' "
                f"(vault names are global): creating the vault fails with VaultAlreadyExists: \"The vault name '{name}' "
                "is already in use. Vault names are globaly unique so it is possible that the name is already taken.\""
            )
        else:
            message = f"Key Vault's name check rejects the vault name '{name}' ({availability.reason or 'unavailable'}){said}"
        yield self.finding(ctx, message, resource=vault, path=name_path)
