"""AML002: an ML workspace's default storage account that is Premium or has a hierarchical namespace."""
from __future__ import annotations

from typing import Iterator

from ...findings import Finding, Related
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name

WORKSPACES = "microsoft.machinelearningservices/workspaces"
STORAGE_ACCOUNTS = "microsoft.storage/storageaccounts"
_DOCS = (
    "Azure ML does not accept it as default storage: \"it cannot be a premium account (Premium_LRS and "
    "Premium_GRS). It also cannot have a hierarchical namespace\""
)


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class WorkspaceDefaultStorageUnsupported(Rule):
    """
    ## What it does
    Reports the storage account that an Azure ML workspace uses as its default storage
    (`properties.storageAccount`, matched by resource ID against the storage accounts the
    template deploys) when it is Premium (`sku.name` `Premium_*`) or has a hierarchical
    namespace (`properties.isHnsEnabled: true`).

    ## Why is this bad?
    Azure ML does not accept it as default storage: "it cannot be a premium account (Premium_LRS
    and Premium_GRS). It also cannot have a hierarchical namespace." The workspace deployment
    fails, and since the `storageAccount` link cannot be changed after creation, the account has
    to be right from the first deployment.

    ## Example
    ```json
    { "type": "Microsoft.Storage/storageAccounts", "name": "stmlw", "sku": { "name": "Premium_LRS" },
      "kind": "StorageV2", "properties": { "isHnsEnabled": true } }
    ```

    ## Use instead
    A standard account without hierarchical namespace as default storage; attach a premium or
    Data Lake Gen2 account as an extra datastore:
    ```json
    { "type": "Microsoft.Storage/storageAccounts", "name": "stmlw", "sku": { "name": "Standard_LRS" },
      "kind": "StorageV2", "properties": { "minimumTlsVersion": "TLS1_2" } }
    ```

    ## References
    - https://learn.microsoft.com/azure/machine-learning/how-to-create-workspace-template
    - https://learn.microsoft.com/azure/machine-learning/how-to-identity-based-service-authentication
    """

    id = "AML002"
    name = "workspace-default-storage-unsupported"
    severity = "error"
    summary = "an ML workspace default storage account that is Premium or has a hierarchical namespace"
    remedy = "use a Standard storage account without hierarchical namespace as the workspace's default storage"
    resource_types = (WORKSPACES, STORAGE_ACCOUNTS)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        accounts = {
            account.id.lower(): account
            for account in ctx.resources(STORAGE_ACCOUNTS)
            if isinstance(account.id, str) and not account.existing and account.deployed is not False
        }
        for workspace in ctx.resources(WORKSPACES):
            if workspace.existing or workspace.deployed is False:
                continue
            link = raw_get(workspace.properties, "storageAccount")
            account = accounts.get(link.lower()) if isinstance(link, str) else None
            if account is None:
                continue
            raw_properties = raw_get(workspace.raw, "properties")
            related = [
                ctx.related(
                    f"ML workspace '{display_name(workspace)}' uses it as default storage",
                    workspace,
                    raw_key(workspace.raw, "properties"),
                    raw_key(raw_properties, "storageAccount"),
                )
            ]
            yield from self._check_account(ctx, account, workspace, related)

    def _check_account(
        self, ctx: LintContext, account: ExpandedResource, workspace: ExpandedResource, related: list[Related]
    ) -> Iterator[Finding]:
        sku = raw_get(account.body, "sku")
        sku_name = raw_get(sku, "name")
        label = f"storage account '{display_name(account)}', the default storage of ML workspace '{display_name(workspace)}',"
        if isinstance(sku_name, str) and sku_name.lower().startswith("premium_"):
            raw_sku = raw_get(account.raw, "sku")
            yield self.finding(
                ctx,
                f"{label} is {sku_name}: {_DOCS}",
                resource=account,
                path=(raw_key(account.raw, "sku"), raw_key(raw_sku, "name")),
                related=related,
            )
        if _is_true(raw_get(account.properties, "isHnsEnabled")):
            yield self.finding(
                ctx,
                f"{label} has a hierarchical namespace (isHnsEnabled): {_DOCS}",
                resource=account,
                path=(raw_key(account.raw, "properties"), raw_key(raw_get(account.raw, "properties"), "isHnsEnabled")),
                related=related,
            )
