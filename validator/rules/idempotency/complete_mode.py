"""IDM005: in complete mode, a resource behind a false condition is deleted."""
from __future__ import annotations

from typing import Any, Iterator

from ...findings import Finding, Related
from ...template.expand import scope_of_schema
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name

# Extension and deployment types that complete mode does not delete (deployment-complete-mode-deletion).
_NOT_DELETED_NAMESPACES = ("microsoft.authorization/", "microsoft.resources/")
_NOT_DELETED_TYPES = frozenset({"microsoft.insights/diagnosticsettings"})


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string inside an evaluated value, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, path + (i,))


def _is_deleted_type(resource: ExpandedResource) -> bool:
    """Top-level types are deleted by complete mode; child types (vaults/secrets, vaults/accessPolicies)
    and extension resources (role assignments, locks, diagnostic settings) are not."""
    lowered = resource.type_lower
    return (
        lowered.count("/") == 1
        and not lowered.startswith(_NOT_DELETED_NAMESPACES)
        and lowered not in _NOT_DELETED_TYPES
        and raw_get(resource.raw, "scope") is None
    )


class ConditionFalseDeletedInCompleteMode(Rule):
    """
    ## What it does
    With deployment mode `complete`, reports a top-level resource of the template whose
    `condition` is false, in the deployment's target resource group. The new/existing pattern
    (`"condition": "[equals(parameters('keyVaultOption'), 'new')]"`) run with `existing` is the
    usual case.

    ## Why is this bad?
    Complete mode deletes whatever the template does not deploy, and since REST api-version
    2019-05-10 (current Azure CLI and PowerShell) that includes resources whose condition is false:
    "With 2019-05-10 or later, the resource is deleted." The existing vault, storage account or
    registry that the new/existing pattern wanted to keep is deleted when it sits in the target
    resource group. Complete mode does not delete child types (`vaults/secrets`,
    `vaults/accessPolicies`) nor extension resources (role assignments, locks), so only top-level
    resources of the template are reported; nested deployments are not reported either, since
    they have their own mode. A resource that the template links to in another resource group is
    not reported: complete mode only deletes in the target resource group.

    ## Example
    ```
    az deployment group create -g rg-ml --mode Complete -f azuredeploy.json -p keyVaultOption=existing
    ```
    with a conditional vault that is in `rg-ml`.

    ## Use instead
    Deploy in incremental mode (the default), or keep the existing resource in another resource
    group, or remove the conditional declaration and reference the resource by ID.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/conditional-resource-deployment
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-complete-mode-deletion
    """

    id = "IDM005"
    name = "complete-mode-deletes-condition-false-resource"
    severity = "error"
    summary = "a condition-false resource that a complete-mode deployment deletes"
    remedy = "deploy in incremental mode, or keep the existing resource outside the target resource group"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        if ctx.options.mode.lower() != "complete" or scope_of_schema(ctx.template) != "resourceGroup":
            return
        for resource in ctx.resources():
            if resource.deployment is not None or len(resource.json_path) != 2 or resource.existing:
                continue
            if resource.deployed is not False or not _is_deleted_type(resource):
                continue
            if not isinstance(resource.id, str) or not resource.target:
                continue
            links = list(self._links(ctx, resource))
            here = [link for link in links if link[1].lower() == resource.id.lower()]
            if links and not here:
                continue  # the template uses a resource of that name in another group: complete mode leaves it
            related: list[Related] = [
                ctx.related(f"{user.type} '{display_name(user)}' uses it here", user, *path) for user, _, path in here
            ]
            condition_key = raw_key(resource.raw, "condition")
            consequence = (
                "Azure deletes the existing one that the template uses, from the target resource group"
                if here
                else "Azure deletes it from the target resource group if it exists there"
            )
            yield self.finding(
                ctx,
                f"{resource.type} '{display_name(resource)}' is not deployed (its condition is false), and this "
                f"deployment runs in complete mode: {consequence}",
                resource=resource,
                path=(condition_key,) if condition_key in resource.raw else (),
                related=related,
            )

    @staticmethod
    def _links(ctx: LintContext, resource: ExpandedResource) -> Iterator[tuple[ExpandedResource, str, tuple[Any, ...]]]:
        """Resource IDs of the same type and name in the deployed resources' bodies (any group)."""
        assert isinstance(resource.id, str)
        suffix = "/providers/" + resource.id.lower().split("/providers/", 1)[-1]
        for user in ctx.resources():
            if user is resource or user.deployed is False:
                continue
            for path, text in _strings(user.body):
                lowered = text.lower()
                if lowered.startswith("/subscriptions/") and lowered.endswith(suffix):
                    yield user, text, path  # evaluated keys are spelled as declared
