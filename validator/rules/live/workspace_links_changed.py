"""AML101: a live ML workspace's immutable link (key vault, storage account, ...) changed."""
from __future__ import annotations

from collections.abc import Iterator

from ...findings import Finding
from ..base import LintContext, Rule, raw_get
from ..workspace.linked_resources import immutable_links
from .common import WORKSPACES, display_name, link_path, live_lookup, normalise_id

_KINDS = {
    "keyVault": "key vault",
    "storageAccount": "storage account",
    "applicationInsights": "Application Insights component",
    "containerRegistry": "container registry",
}


class WorkspaceLiveLinkChanged(Rule):
    """
    ## What it does
    Compares the linked resources of an Azure ML workspace in Azure with the ones the template
    sends, for a workspace the template deploys on every run: `keyVault` and `storageAccount`
    always, `applicationInsights` and `containerRegistry` when the template's api-version is
    before 2022-02-01-preview. Resource IDs compare case-insensitively (Azure returns
    `microsoft.insights` in lower case). A link that either side leaves out, or that only Azure
    knows (`reference()`), is not compared. When the workspace cannot be read (403), a note says
    the check was skipped and which permission is missing.

    ## Why is this bad?
    These links "cannot be changed once the workspace has been created" (the workspace schema,
    every api-version for `keyVault` and `storageAccount`; up to 2022-01-01-preview for the other
    two). The deployment fails: for the storage account with
    `BadRequest: Storage Account update is not supported yet`. A changed name parameter, a
    `uniqueString()` seed or a resource-group name is the usual cause, and it means the template
    also creates a new, unused vault or account.

    ## Example
    The live workspace uses `kv-prod`; the template's `keyVaultName` defaults to a new name:
    ```json
    "keyVault": "[resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName'))]"
    ```

    ## Use instead
    Send the IDs the workspace was created with (pass the names as parameters, or reference the
    existing resources); a workspace that needs another vault or storage account must be
    recreated.

    ## References
    - https://learn.microsoft.com/azure/machine-learning/how-to-create-workspace-template
    - https://learn.microsoft.com/rest/api/azureml/workspaces/update
    - https://github.com/Azure-Samples/get-started-with-ai-chat/issues/65
    """

    id = "AML101"
    name = "workspace-live-link-changed"
    severity = "error"
    summary = "a link of a live ML workspace that cannot change after creation, changed by the template"
    remedy = "send the linked resource IDs the workspace was created with"
    resource_types = (WORKSPACES,)
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for workspace in ctx.resources(WORKSPACES):
            live = live_lookup(ctx, type(self), workspace, "its immutable links")
            if live is None:
                continue
            if live.note is not None:
                yield live.note
                continue
            if live.found is None or not isinstance(workspace.properties, dict):
                continue
            for link in immutable_links(workspace.api_version):
                sent = raw_get(workspace.properties, link)
                current = live.found.properties.get(link)
                if normalise_id(sent) is None or normalise_id(current) is None or normalise_id(sent) == normalise_id(current):
                    continue
                rejection = (
                    "the deployment fails with BadRequest \"Storage Account update is not supported yet\""
                    if link == "storageAccount"
                    else "the deployment fails"
                )
                since = "" if link in ("keyVault", "storageAccount") else f" with api-version {workspace.api_version}"
                yield self.finding(
                    ctx,
                    f"the live ML workspace '{display_name(workspace)}' is linked to the {_KINDS[link]} '{current}', but "
                    f"the template sends '{sent}': `{link}` cannot be changed after the workspace is created{since}, so "
                    f"{rejection}",
                    resource=workspace,
                    path=link_path(workspace, link),
                )
