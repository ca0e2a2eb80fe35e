"""ARM019: resource properties given an empty value."""
from __future__ import annotations

from typing import Iterator

from ...findings import Finding, Fix
from ..base import LintContext, Rule
from ._properties import declared_properties
from ._scan import JsonPath, display_name, finding, position

# Properties that may be empty (arm-ttk's list): template sections, optional-parameter defaults,
# values passed to nested deployments, and properties whose empty value is meaningful.
# `accessPolicies` is here because an empty list is KV001's business, not a blank.
MAY_BE_EMPTY = frozenset(
    name.lower()
    for name in (
        "resources",
        "outputs",
        "variables",
        "parameters",
        "functions",
        "properties",
        "defaultValue",
        "accessPolicies",
        "value",
        "promotionCode",
        "inputs",
        "notEquals",
        "clientId",
        "allowedCallerIpAddresses",
    )
)


def _exempt(key: str) -> bool:
    """A property that may be empty: listed in `MAY_BE_EMPTY`, or named by an expression or a
    resource ID (user-assigned identities)."""
    stripped = key.lstrip()
    return key.lower() in MAY_BE_EMPTY or stripped.startswith("[") or stripped.lower().startswith("/subscriptions/")


_KINDS: dict[type, str] = {str: "an empty string", dict: "an empty object", list: "an empty array"}


class PropertyBlank(Rule):
    """
    ## What it does
    Reports a property inside a resource's `properties` whose value is `""`, `{}` or `[]`.
    `null` is not reported: it is how Bicep writes "not set", and resource providers treat it as
    an absent property. As in arm-ttk, some properties may be empty: `value` (a nested deployment's
    parameter), `defaultValue`, `properties`, `inputs`, `notEquals`, `clientId`,
    `promotionCode`, `allowedCallerIpAddresses`, property names that are expressions or
    resource IDs (user-assigned identities), and `accessPolicies` (an empty access-policy list on a
    Key Vault is what KV001 reports, with what it does on a redeploy).

    ## Why is this bad?
    An empty value is not "nothing": the resource provider receives an explicit empty value. An
    empty array or object sets the list or settings to empty on every redeploy (rules or IP ranges
    added since are wiped), and an empty string is often rejected as an invalid value or is a
    placeholder that was never filled in. Leave the property out unless emptying it is intended.

    ## Example
    ```json
    "properties": { "networkAcls": { "defaultAction": "Deny", "ipRules": [] }, "description": "" }
    ```

    ## Use instead
    ```json
    "properties": { "networkAcls": { "defaultAction": "Deny" } }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (Template-Should-Not-Contain-Blanks)

    ## Fix safety
    The fix deletes the property. It is unsafe: an explicit empty value can be meant (to empty a
    list on every redeploy), and leaving it out lets the resource provider keep or default it.
    """

    id = "ARM019"
    name = "property-blank"
    severity = "note"  # often deliberate (an explicitly empty list); worth a look, not a failure
    summary = "a resource property whose value is an empty string, object or array"
    remedy = "leave the property out, or give it a value"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for declared in declared_properties(ctx.document):
            if declared.declaration.existing:
                continue
            for parent, key, value in declared.blanks:
                if _exempt(key):
                    continue
                path = declared.path + parent + (key,)
                yield finding(
                    self,
                    ctx,
                    f"'{key}' of {display_name(ctx, declared.declaration)} is {_KINDS[type(value)]}: Azure receives an "
                    "explicit empty value, not 'not set'; leave the property out unless emptying it is intended",
                    position(ctx, path),
                    fix=_removal_fix(ctx, path, key),
                )


def _removal_fix(ctx: LintContext, path: JsonPath, key: str) -> Fix | None:
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import remove_member

    edits = remove_member(ctx.document, path)
    return Fix(f"Remove the blank property '{key}'", edits, "unsafe") if edits else None
