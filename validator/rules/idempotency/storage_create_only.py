"""IDM004: storage account properties that can only be set when the account is created."""
from __future__ import annotations

from typing import Iterator

from ...findings import Finding, Fix
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name

STORAGE_ACCOUNTS = "microsoft.storage/storageaccounts"
CREATE_ONLY = ("isHnsEnabled", "isNfsV3Enabled")


class StoragePropertyCreateOnly(Rule):
    """
    ## What it does
    Reports a storage account (`Microsoft.Storage/storageAccounts`) that sets `isHnsEnabled` or
    `isNfsV3Enabled` explicitly, with any value.

    ## Why is this bad?
    Both properties are read-only once the account exists. `true` can only be set when the account
    is created (an existing account needs the separate migration), and an explicit `false` sent to
    an existing account that was created without the property fails with
    `AccountPropertyCannotBeUpdated`: "The property 'isHnsEnabled' was specified in the input, but
    it cannot be updated as it is read-only." Only an omitted (or `null`) property is safe on every
    redeploy.

    ## Example
    ```json
    "properties": { "isHnsEnabled": false, "minimumTlsVersion": "TLS1_2" }
    ```

    ## Use instead
    Leave the property out unless the template creates the account with it; when it must be
    `true`, keep the value the account was created with and never change it:
    ```json
    "properties": { "minimumTlsVersion": "TLS1_2" }
    ```

    ## References
    - https://aka.ms/storageaccountupdate
    - https://github.com/Azure/azure-rest-api-specs/issues/18441
    - https://github.com/Azure/ResourceModules/issues/3949

    ## Fix safety
    The fix deletes the property when it is written as the literal `false`; it is safe: a new
    account is created with the same `false` default, and an existing one is no longer asked to
    update it. `true` and expressions are not fixed: whether the account must be created with the
    feature is a decision.
    """

    id = "IDM004"
    name = "storage-create-only-property-set"
    severity = "warning"
    summary = "a storage account property that cannot be updated after creation, set explicitly"
    remedy = "omit isHnsEnabled / isNfsV3Enabled unless the deployment creates the account"
    resource_types = (STORAGE_ACCOUNTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for resource in ctx.resources(STORAGE_ACCOUNTS):
            if resource.existing or resource.deployed is False:
                continue
            raw_properties = raw_get(resource.raw, "properties")
            if not isinstance(raw_properties, dict):
                continue
            for prop in CREATE_ONLY:
                key = raw_key(raw_properties, prop)
                # null is what omitting it sends: Azure accepts it on every redeploy.
                if key not in raw_properties or raw_get(resource.properties, key) is None:
                    continue
                yield self.finding(
                    ctx,
                    f"`{prop}` is set on storage account '{display_name(resource)}' but cannot be updated after "
                    f"creation: `true` can only be set when the account is created, and an explicit `false` on an "
                    f"existing account created without it fails with `AccountPropertyCannotBeUpdated` (\"The "
                    f"property '{prop}' was specified in the input, but it cannot be updated as it is read-only.\")",
                    resource=resource,
                    path=(raw_key(resource.raw, "properties"), key),
                    fix=_removal_fix(resource, key) if raw_properties[key] is False else None,
                )


def _removal_fix(account: ExpandedResource, key: str) -> Fix | None:
    """Deletes `properties.<key>` written as the literal `false`."""
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import remove_member

    edits = remove_member(account.document, account.json_path + (raw_key(account.raw, "properties"), key))
    return Fix(f"Remove `{key}: false`", edits, "safe") if edits else None
