"""AML003: a storage account, Application Insights component or container registry linked to an ML
workspace that the template redeploys on every run, with no new/existing option."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ...findings import Finding
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, deployed_every_run, raw_get, raw_key
from ..base import display_name
from ..keyvault.common import WORKSPACES, linked_workspaces
from .linked_resources import immutable_links


@dataclass(frozen=True)
class LinkedKind:
    """A resource type an ML workspace links, and the workspace property that links it."""

    type: str  # lower case
    link: str  # the workspace property: `storageAccount`, ...
    noun: str


# The Key Vault (`keyVault`) is KV001's concern: its redeploy also wipes access policies.
LINKED_KINDS = (
    LinkedKind("microsoft.storage/storageaccounts", "storageAccount", "storage account"),
    LinkedKind("microsoft.insights/components", "applicationInsights", "Application Insights component"),
    LinkedKind("microsoft.containerregistry/registries", "containerRegistry", "container registry"),
)


class WorkspaceLinkedResourceRedeployed(Rule):
    """
    ## What it does
    Reports a storage account, Application Insights component or container registry that an Azure
    ML workspace (`Microsoft.MachineLearningServices/workspaces`) in the same template links
    (`storageAccount`, `applicationInsights`, `containerRegistry`, matched by resource ID) and that
    the template deploys on every run: it has no `condition`, or its condition is true with the
    parameters given. The workspace's Key Vault is KV001's concern.

    ## Why is this bad?
    Without a new/existing option the template cannot use the resource once it exists: every run
    deploys it again. Microsoft documents that a redeploy in incremental mode reapplies every
    property ("Properties that aren't included in the template are reset to the default values"),
    so we infer that settings changed on the live resource outside the template (network rules,
    an admin account turned off, ...) are undone on the next run. No incident specific to these
    resources is documented, hence a note.

    Leaving the resource out of the template is not an answer for storage: the workspace's
    `storageAccount` link "cannot be changed once the workspace has been created" (every
    api-version), so the workspace stays on the account the template created.
    `applicationInsights` and `containerRegistry` could not be changed either before api-version
    2022-02-01-preview. Microsoft's own quickstart (`machine-learning-workspace-vnet`) gives each
    linked resource a `storageAccountOption` / `applicationInsightsOption` /
    `containerRegistryOption` parameter for this reason.

    ## Example
    ```json
    { "type": "Microsoft.Storage/storageAccounts", "name": "[parameters('storageAccountName')]", ... },
    { "type": "Microsoft.MachineLearningServices/workspaces", ...,
      "properties": { "storageAccount": "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]" } }
    ```

    ## Use instead
    Deploy the resource only when it is new, and point the link at the existing one otherwise
    (`arm-validator fix` writes this):
    ```json
    "storageAccountOption": { "type": "string", "defaultValue": "new", "allowedValues": ["new", "existing"] },
    ...
    { "condition": "[equals(parameters('storageAccountOption'), 'new')]",
      "type": "Microsoft.Storage/storageAccounts", "name": "[parameters('storageAccountName')]", ... },
    ...
    "storageAccount": "[resourceId(parameters('storageAccountResourceGroupName'), 'Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]"
    ```
    Pass `existing` on every deployment after the first. With `existing`, the storage account must
    be the one the workspace was created with; an existing container registry must have its admin
    account enabled or the workspace must use a managed identity ("If you allow Azure Machine
    Learning to automatically create ACR, it enables the admin account"). In complete mode a
    condition-false resource in the target resource group is deleted: deploy incrementally.

    ## References
    - https://learn.microsoft.com/azure/machine-learning/how-to-create-workspace-template
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
    - https://learn.microsoft.com/rest/api/azureml/workspaces/update
    - https://github.com/Azure/azure-quickstart-templates/tree/master/quickstarts/microsoft.machinelearningservices/machine-learning-workspace-vnet
    """

    id = "AML003"
    name = "workspace-linked-resource-redeployed"
    severity = "note"
    summary = "a storage account, Application Insights or container registry linked to an ML workspace and redeployed on every run"
    remedy = "deploy it only when it is new (a new/existing option and condition, as in Microsoft's quickstarts), and pass 'existing' after the first deployment"
    resource_types = (WORKSPACES, *(kind.type for kind in LINKED_KINDS))

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for kind in LINKED_KINDS:
            for resource in ctx.resources(kind.type):
                if resource.existing or not deployed_every_run(resource):
                    continue
                workspaces = list(linked_workspaces(ctx, resource, kind.link))
                if workspaces:
                    yield self._finding(ctx, kind, resource, workspaces)

    def _finding(self, ctx: LintContext, kind: LinkedKind, resource: ExpandedResource, workspaces: list[ExpandedResource]) -> Finding:
        names = ", ".join(f"'{display_name(w)}'" for w in workspaces)
        noun = "ML workspace" if len(workspaces) == 1 else "ML workspaces"
        message = (
            f"{kind.noun} '{display_name(resource)}', the `{kind.link}` of {noun} {names}, is deployed on every run with "
            f"no new/existing option: each run reapplies this template's properties over it, undoing changes made outside "
            f"the template"
        )
        if any(kind.link in immutable_links(w.api_version) for w in workspaces):
            message += f", and the `{kind.link}` link cannot be changed after the workspace is created"
        related = [
            ctx.related(
                f"the ML workspace '{display_name(w)}' links it as `{kind.link}`",
                w,
                raw_key(w.raw, "properties"),
                raw_key(raw_get(w.raw, "properties"), kind.link),
            )
            for w in workspaces
        ]
        # At the condition that is true on every run, else at the declaration's type.
        at = "condition" if raw_get(resource.raw, "condition") is not None else "type"
        return self.finding(ctx, message, resource=resource, path=(raw_key(resource.raw, at),), related=related)
