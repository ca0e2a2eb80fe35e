"""IDM102: the live resources a complete-mode deployment deletes from its resource group."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...expressions.values import Unknown
from ...findings import Finding
from ...state.collect import GROUP_LISTING_PERMISSION
from ...template.expand import scope_of_schema
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_key
from .common import display_name, normalise_id

# Extension resources and deployments: complete mode does not delete them (deployment-complete-mode-deletion).
_NOT_DELETED_NAMESPACES = ("microsoft.authorization/", "microsoft.resources/")
_NOT_DELETED_TYPES = frozenset({"microsoft.insights/diagnosticsettings"})


def deleted_type(resource_type: str) -> bool:
    """Top-level types are deleted by complete mode; child types (vaults/secrets,
    vaults/accessPolicies) and extension resources (role assignments, locks) are not reported."""
    lowered = resource_type.lower()
    return lowered.count("/") == 1 and not lowered.startswith(_NOT_DELETED_NAMESPACES) and lowered not in _NOT_DELETED_TYPES


class CompleteModeDeletesLiveResources(Rule):
    """
    ## What it does
    With deployment mode `complete`, lists the resources of the target resource group (as read
    from Azure) that the deployment deletes: one finding per resource. A resource is deleted when
    the template does not deploy it: it is not declared, or it is declared with a condition that
    is false. Resources deployed into the same group by nested deployments count as deployed.

    Each finding is at the template's root, or at the `condition` of the declaration when the
    resource is declared with a false condition. A condition only Azure can evaluate, or a
    declaration whose name only Azure knows that may be the resource, gives a warning instead.
    Child types (`vaults/secrets`, `vaults/accessPolicies`, ...) and extension resources (role
    assignments, locks, diagnostic settings) are not listed: complete mode does not delete them.
    A resource the template references as `existing` is not listed either (what complete mode
    does with it is not documented).
    When the group could not be listed (403), a note says the check was skipped and which
    permission is missing.

    ## Why is this bad?
    "In complete mode, Resource Manager deletes resources that exist in the resource group but
    aren't specified in the template." Since REST api-version 2019-05-10 that includes resources
    whose condition is false: "With 2019-05-10 or later, the resource is deleted." The
    new/existing pattern with `existing`, a resource created by hand or by another pipeline in
    the same group: all are deleted, with their data.

    ## Example
    ```
    az deployment group create -g rg-ml --mode Complete -f azuredeploy.json -p keyVaultOption=existing
    ```
    where `rg-ml` also holds the vault `kv-prod` and a storage account another team created.

    ## Use instead
    Deploy in incremental mode (the default). If complete mode is required, declare every
    resource of the group in the template, and keep resources the template must not own in
    another resource group.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-complete-mode-deletion
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/conditional-resource-deployment
    """

    id = "IDM102"
    name = "complete-mode-deletes-live-resources"
    severity = "error"
    summary = "a live resource of the target resource group that a complete-mode deployment deletes"
    remedy = "deploy in incremental mode, or declare the resource in the template, or move it to another resource group"
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        state = ctx.state
        if state is None or ctx.options.mode.lower() != "complete" or scope_of_schema(ctx.template) != "resourceGroup":
            return
        group = state.resource_group
        listing = state.group_listing
        if listing is not None and listing.status in ("forbidden", "error"):
            if listing.status == "forbidden":
                reason = f"listing the resource group '{group}' needs {listing.missing_permission or GROUP_LISTING_PERMISSION}"
            else:
                reason = f"listing the resource group '{group}' failed" + (f": {listing.message}" if listing.message else "")
            yield self.finding(ctx, f"{self.id} skipped: {reason}; not checked: what complete mode deletes", severity="note")
            return
        if state.group_resources is None:
            yield self.finding(
                ctx, f"{self.id} skipped: the state has no listing of the resource group '{group}'", severity="note"
            )
            return
        group_id = f"/subscriptions/{state.subscription_id}/resourcegroups/{group}".lower()
        by_id: dict[str, list[ExpandedResource]] = {}
        unnamed: dict[str, list[ExpandedResource]] = {}  # by type: declarations whose ID only Azure knows
        referenced: set[str] = set()  # `existing` references: whether complete mode deletes them is not documented
        for resource in ctx.resources():
            if resource.existing:
                if isinstance(resource.id, str):
                    referenced.add(resource.id.lower())
                continue
            if isinstance(resource.id, str):
                by_id.setdefault(resource.id.lower(), []).append(resource)
            elif isinstance(resource.id, Unknown) and resource.deployed is not False:
                unnamed.setdefault(resource.type_lower, []).append(resource)
        for item in sorted(state.group_resources, key=lambda r: str(r.get("id", "")).lower()):
            resource_id = normalise_id(item.get("id"))
            resource_type = str(item.get("type") or "")
            if resource_id is None or not resource_id.startswith(group_id + "/") or not deleted_type(resource_type):
                continue
            if resource_id in referenced:
                continue
            finding = self._deletion(ctx, item, by_id.get(resource_id, []), unnamed.get(resource_type.lower(), []))
            if finding is not None:
                yield finding

    def _deletion(
        self, ctx: LintContext, item: dict[str, Any], declared: list[ExpandedResource], unnamed: list[ExpandedResource]
    ) -> Finding | None:
        assert ctx.state is not None
        label = f"{item.get('type')} '{item.get('name') or str(item.get('id')).rsplit('/', 1)[-1]}'"
        group = ctx.state.resource_group
        if any(r.deployed is True for r in declared):
            return None
        maybe = [r for r in declared if not isinstance(r.deployed, bool)]
        if maybe:
            resource = maybe[0]
            return self.finding(
                ctx,
                f"complete mode deletes the live {label} from the resource group '{group}' if the condition of its "
                "declaration is false (only known at deployment time)",
                resource=resource,
                path=(raw_key(resource.raw, "condition"),),
                severity="warning",
            )
        if declared:
            resource = declared[0]
            return self.finding(
                ctx,
                f"complete mode deletes the live {label} from the resource group '{group}': it is declared here, but its "
                "condition is false, and complete mode deletes condition-false resources",
                resource=resource,
                path=(raw_key(resource.raw, "condition"),),
            )
        if unnamed:
            names = ", ".join(f"`{display_name(r)}`" for r in unnamed)
            return self.finding(
                ctx,
                f"complete mode deletes the live {label} from the resource group '{group}' unless it is the resource "
                f"declared as {names} (its name is only known at deployment time)",
                severity="warning",
            )
        return self.finding(
            ctx,
            f"complete mode deletes the live {label} from the resource group '{group}': the template does not declare it",
        )
