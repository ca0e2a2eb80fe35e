"""IDM001: a resource named from `newGuid()` or `utcNow()`."""
from __future__ import annotations

from typing import Iterator

from ...findings import Finding
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name
from .sources import is_nondeterministic, origin_phrase

# Reported by IDM002 with the error Azure gives; a deployment name that changes only adds history.
_OTHER_RULES_OR_HARMLESS = frozenset({"microsoft.authorization/roleassignments", "microsoft.resources/deployments"})


class NondeterministicResourceName(Rule):
    """
    ## What it does
    Reports a resource whose name depends on `newGuid()` or `utcNow()`, usually through a
    parameter's default value.

    ## Why is this bad?
    Azure evaluates `newGuid()` and `utcNow()` again on every deployment that does not pass the
    parameter. Each run then creates another resource instead of updating the one it created
    before, and the earlier ones are left behind (and billed). Role assignments are reported by
    IDM002, and nested deployments named this way are not reported: a new deployment name only
    adds an entry to the deployment history.

    ## Example
    ```json
    "parameters": { "suffix": { "type": "string", "defaultValue": "[utcNow()]" } },
    "resources": [
      { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01",
        "name": "[concat('st', uniqueString(parameters('suffix')))]", ... }
    ]
    ```

    ## Use instead
    Derive the name from stable inputs, such as `uniqueString(resourceGroup().id)`:
    ```json
    "name": "[concat('st', uniqueString(resourceGroup().id))]"
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-string#newguid
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-date#utcnow
    """

    id = "IDM001"
    name = "nondeterministic-resource-name"
    severity = "error"
    summary = "a resource whose name changes on every deployment"
    remedy = "derive the name from stable inputs such as uniqueString(resourceGroup().id), not newGuid() or utcNow()"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        reported: list[tuple[int, tuple[object, ...]]] = []
        for resource in ctx.resources():
            if resource.existing or resource.deployed is False or resource.type_lower in _OTHER_RULES_OR_HARMLESS:
                continue
            if not is_nondeterministic(resource.name):
                continue
            # A child declared inside a reported parent inherits its name: the parent's finding says it.
            if any(doc == id(resource.document) and resource.json_path[: len(path)] == path for doc, path in reported):
                continue
            reported.append((id(resource.document), resource.json_path))
            raw_name = raw_get(resource.raw, "name")
            yield self.finding(
                ctx,
                f"the name `{display_name(resource)}` of {resource.type} depends on {origin_phrase(resource, raw_name)}, "
                f"which Azure evaluates again on every deployment: each run creates another resource instead of "
                f"updating this one, and leaves the earlier ones behind",
                resource=resource,
                path=(raw_key(resource.raw, "name"),),
            )
