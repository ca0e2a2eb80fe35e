"""AML001: an ML workspace link that cannot change after creation, but changes on every run."""
from __future__ import annotations

import re
from typing import Iterator

from ...findings import Finding
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name
from ..idempotency.sources import is_nondeterministic, origin_phrase

WORKSPACES = "microsoft.machinelearningservices/workspaces"
ALWAYS_IMMUTABLE = ("keyVault", "storageAccount")
# `applicationInsights` and `containerRegistry` became updatable with this api-version.
UPDATABLE_LINKS_FROM = "2022-02-01-preview"
IMMUTABLE_BEFORE = ("applicationInsights", "containerRegistry")
_API_VERSION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:-(.+))?$")


def api_version_key(version: str) -> tuple[tuple[int, int, int], int, str] | None:
    """An order on api-versions: by date, and a preview of a date before the stable version."""
    match = _API_VERSION.match(version.strip())
    if match is None:
        return None
    date = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    suffix = (match.group(4) or "").lower()
    return date, 0 if suffix else 1, suffix


def immutable_links(api_version: str) -> tuple[str, ...]:
    """The workspace properties that cannot change after creation with this api-version."""
    key, limit = api_version_key(api_version), api_version_key(UPDATABLE_LINKS_FROM)
    if key is not None and limit is not None and key < limit:
        return ALWAYS_IMMUTABLE + IMMUTABLE_BEFORE
    return ALWAYS_IMMUTABLE


class WorkspaceLinkNondeterministic(Rule):
    """
    ## What it does
    Reports an Azure ML workspace (`Microsoft.MachineLearningServices/workspaces`) whose
    `keyVault` or `storageAccount` link, or `applicationInsights` / `containerRegistry` link with
    an api-version before 2022-02-01-preview, depends on `newGuid()` or `utcNow()`, usually
    through a parameter default that names the linked resource.

    ## Why is this bad?
    These links cannot be changed once the workspace has been created ("This cannot be changed
    once the workspace has been created"). The next deployment evaluates `newGuid()` / `utcNow()`
    again, sends another resource ID, and the workspace update is rejected: for the storage
    account, `BadRequest: Storage Account update is not supported yet`.

    ## Example
    ```json
    "parameters": { "storageAccountName": { "type": "string", "defaultValue": "[concat('st', uniqueString(newGuid()))]" } },
    ...
    "storageAccount": "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]"
    ```

    ## Use instead
    Name the linked resources from stable inputs:
    ```json
    "storageAccountName": { "type": "string", "defaultValue": "[concat('st', uniqueString(resourceGroup().id))]" }
    ```

    ## References
    - https://learn.microsoft.com/azure/machine-learning/how-to-create-workspace-template
    - https://learn.microsoft.com/rest/api/azureml/workspaces/update
    - https://github.com/Azure-Samples/get-started-with-ai-chat/issues/65
    """

    id = "AML001"
    name = "workspace-link-nondeterministic"
    severity = "error"
    summary = "an ML workspace link that cannot change after creation but changes on every deployment"
    remedy = "name the linked resource from stable inputs (uniqueString(resourceGroup().id)), not newGuid() or utcNow()"
    resource_types = (WORKSPACES,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for workspace in ctx.resources(WORKSPACES):
            if workspace.existing or workspace.deployed is False or not isinstance(workspace.properties, dict):
                continue
            raw_properties = raw_get(workspace.raw, "properties")
            for link in immutable_links(workspace.api_version):
                if not is_nondeterministic(raw_get(workspace.properties, link)):
                    continue
                raw_link = raw_get(raw_properties, link)
                rejection = (
                    "the resource provider rejects it (`BadRequest: Storage Account update is not supported yet`)"
                    if link == "storageAccount"
                    else "the resource provider rejects the change"
                )
                yield self.finding(
                    ctx,
                    f"the `{link}` link of ML workspace '{display_name(workspace)}' depends on "
                    f"{origin_phrase(workspace, raw_link)}: the next deployment sends another ID, but the link "
                    f"cannot be changed after the workspace is created, so {rejection}",
                    resource=workspace,
                    path=(raw_key(workspace.raw, "properties"), raw_key(raw_properties, link)),
                )
