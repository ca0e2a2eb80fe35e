"""IDM101: a property that cannot change on an existing resource, changed by the template."""
from __future__ import annotations

from collections.abc import Iterator

from ...findings import Finding
from ..base import LintContext, Rule, raw_get, raw_key
from .common import (
    Live,
    as_bool,
    display_name,
    link_path,
    live_lookup,
    normalise_id,
    normalise_location,
)

STORAGE_ACCOUNTS = "microsoft.storage/storageaccounts"
ROLE_ASSIGNMENTS = "microsoft.authorization/roleassignments"
STORAGE_CREATE_ONLY = ("isHnsEnabled", "isNfsV3Enabled")
_ROLE_SEGMENT = "/providers/microsoft.authorization/roleassignments/"


class LiveImmutablePropertyChanged(Rule):
    """
    ## What it does
    Compares each resource the template deploys on every run with the same resource in Azure and
    reports a change Azure does not allow on an existing resource:

    - its `location` (compared without case and spaces: `West Europe` is `westeurope`);
    - a storage account's `isHnsEnabled` or `isNfsV3Enabled` (an account without the property
      in Azure counts as `false`);
    - a role assignment whose name (the GUID) already exists at that scope for another principal.

    Values only Azure knows are not compared. A resource the state did not look up, or could not
    read (a note says the check was skipped and which permission is missing), is not compared.

    Not detected: the same principal, role and scope under another name (409
    `RoleAssignmentExists`), and a name already used at another scope: both need a listing of
    role assignments, which the live state does not hold.

    ## Why is this bad?
    - "If you try to update the location or type of an existing resource, the deployment fails
      with an error." (deployment modes)
    - `isHnsEnabled` / `isNfsV3Enabled` are read-only once the account exists:
      `AccountPropertyCannotBeUpdated`, "The property 'isHnsEnabled' was specified in the input,
      but it cannot be updated as it is read-only."
    - A role assignment cannot be repointed: `RoleAssignmentUpdateNotPermitted`, "Tenant ID,
      application ID, principal ID, and scope are not allowed to be updated."

    ## Example
    The storage account exists in `westeurope` without hierarchical namespace; the template sends:
    ```json
    { "type": "Microsoft.Storage/storageAccounts", "location": "northeurope", "properties": { "isHnsEnabled": true } }
    ```

    ## Use instead
    Send the live values (`"location": "[resourceGroup().location]"` only if the group is where
    the resources are), create a new resource for a new region or namespace setting, and name
    role assignments with `guid(scope, principalId, roleDefinitionId)` so a new principal gets a
    new name.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
    - https://aka.ms/storageaccountupdate
    - https://github.com/Azure/azure-rest-api-specs/issues/18441
    - https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template
    """

    id = "IDM101"
    name = "live-immutable-property-changed"
    severity = "error"
    summary = "a property that cannot change on an existing resource, changed by the template"
    remedy = "send the live value, or deploy a new resource (with a new name) for the new value"
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for resource in ctx.resources():
            live = live_lookup(ctx, type(self), resource, "its immutable properties")
            if live is None:
                continue
            if live.note is not None:
                yield live.note
                continue
            if live.found is None:
                continue
            yield from self._location(ctx, live)
            if resource.type_lower == STORAGE_ACCOUNTS:
                yield from self._storage(ctx, live)
            if resource.type_lower == ROLE_ASSIGNMENTS:
                yield from self._role_assignment(ctx, live)

    def _location(self, ctx: LintContext, live: Live) -> Iterator[Finding]:
        resource = live.resource
        assert live.found is not None
        sent = resource.body.get(raw_key(resource.body, "location"))
        current = (live.found.body or {}).get("location")
        if normalise_location(sent) is None or normalise_location(current) is None or normalise_location(sent) == normalise_location(current):
            return
        yield self.finding(
            ctx,
            f"{resource.type} '{display_name(resource)}' exists in '{current}', and the template sends location "
            f"'{sent}': the location of an existing resource cannot change, so the deployment fails",
            resource=resource,
            path=(raw_key(resource.raw, "location"),) if raw_get(resource.raw, "location") is not None else (),
        )

    def _storage(self, ctx: LintContext, live: Live) -> Iterator[Finding]:
        resource = live.resource
        assert live.found is not None
        properties = resource.properties if isinstance(resource.properties, dict) else {}
        for prop in STORAGE_CREATE_ONLY:
            sent = as_bool(raw_get(properties, prop))
            current = as_bool(live.found.properties.get(prop)) or False  # absent in Azure: created without it
            if sent is None or sent == current:
                continue
            yield self.finding(
                ctx,
                f"the storage account '{display_name(resource)}' exists with {prop} {str(current).lower()}, and the "
                f"template sends {str(sent).lower()}: the deployment fails with AccountPropertyCannotBeUpdated "
                f"(\"The property '{prop}' was specified in the input, but it cannot be updated as it is read-only.\")",
                resource=resource,
                path=link_path(resource, prop),
            )

    def _role_assignment(self, ctx: LintContext, live: Live) -> Iterator[Finding]:
        resource = live.resource
        assert live.found is not None and isinstance(resource.id, str)
        properties = resource.properties if isinstance(resource.properties, dict) else {}
        sent = normalise_id(raw_get(properties, "principalId"))
        current = normalise_id(live.found.properties.get("principalId"))
        if sent is None or current is None or sent == current:
            return
        scope = resource.id[: resource.id.lower().rfind(_ROLE_SEGMENT)] or "/"
        yield self.finding(
            ctx,
            f"the role assignment '{display_name(resource)}' already exists at '{scope}' for principal {current}, and the "
            f"template assigns it to principal {sent}: the deployment fails with RoleAssignmentUpdateNotPermitted "
            "(\"Tenant ID, application ID, principal ID, and scope are not allowed to be updated.\")",
            resource=resource,
            path=link_path(resource, "principalId"),
        )
