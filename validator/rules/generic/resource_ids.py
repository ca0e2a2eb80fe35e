"""ARM009, ARM010: resource IDs: `*Id` properties written or assembled by hand instead of with
`resourceId()`, and `resourceId()` given the arguments it already defaults to."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator

from ...expressions.parser import Call, Index, Literal, Node, Property, is_expression
from ...findings import Finding, Fix
from ...source import Document
from ..base import LintContext, Rule, raw_get
from ._properties import declared_properties
from ._scan import (
    Declaration,
    JsonPath,
    display_name,
    finding,
    is_property_of_call,
    document_index,
    entry_position,
    iter_strings,
    literal_argument,
    try_parse,
    position,
    position_in_string,
)

# Properties named `...Id` that hold GUIDs, names or numbers rather than resource IDs (arm-ttk's
# exceptions, plus the identity GUIDs Azure returns everywhere).
NOT_RESOURCE_IDS = frozenset(
    name.lower()
    for name in (
        "appId",
        "applicationId",
        "clientId",
        "customerId",
        "DataTypeId",
        "defaultMenuItemId",
        "keyVaultSecretId",
        "keyId",
        "objectId",
        "menuId",
        "policyDefinitionReferenceId",
        "principalId",
        "servicePrincipalClientId",
        "StartingDeviceID",
        "subscriptionId",
        "SyntheticMonitorId",
        "targetProtectionContainerId",
        "targetWorkerSizeId",
        "tenantId",
        "timezoneId",
        "vlanId",
        "workerSizeId",
    )
)
# Types whose `...Id` properties are not ARM resource IDs (arm-ttk skips them too).
SKIPPED_TYPES = frozenset({"microsoft.logic/workflows", "microsoft.apimanagement/service/backends"})

# A complete resource ID: a subscription, a resource group, or a provider type with a name.
_RESOURCE_ID = re.compile(
    r"^/(?:subscriptions/[^/]+(?:/resourcegroups/[^/]+)?(?:/providers/[^/]+/[^/]+/[^/]+(?:/[^/]+)*)?"
    r"|providers/[^/]+/[^/]+/[^/]+(?:/[^/]+)*)$",
    re.IGNORECASE,
)
_PROVIDER_PATH = re.compile(r"/providers/|/resourcegroups/|^/?subscriptions/", re.IGNORECASE)
_ASSEMBLERS = ("concat", "format")
_ID_FUNCTIONS = frozenset(
    {"resourceid", "subscriptionresourceid", "tenantresourceid", "extensionresourceid", "managementgroupresourceid", "reference", "resourceinfo"}
)


def _in_tags_or_metadata(parent: JsonPath) -> bool:
    """Whether a property of the object at `parent` (below `properties`) is inside `tags` or
    `metadata`: names and descriptions, not resource properties."""
    return any(type(key) is str and key.lower() in ("tags", "metadata") for key in parent)


def _outside_id_functions(node: Node) -> Iterator[Node]:
    """The nodes of a tree, not looking inside the arguments of the functions that build or resolve
    IDs (`resourceId(format('/subscriptions/{0}/resourceGroups/{1}', ...), ...)` is how Bicep
    targets another scope: the scope is assembled, the ID is derived)."""
    yield node
    if isinstance(node, Call):
        if node.namespace is None and node.name.lower() in _ID_FUNCTIONS:
            return
        for arg in node.args:
            yield from _outside_id_functions(arg)
    elif isinstance(node, Property):
        yield from _outside_id_functions(node.target)
    elif isinstance(node, Index):
        yield from _outside_id_functions(node.target)
        yield from _outside_id_functions(node.index)


def _calls_outside_id_functions(node: Node) -> Iterator[Call]:
    return (n for n in _outside_id_functions(node) if isinstance(n, Call) and n.namespace is None)


def _literals_outside_id_functions(node: Node) -> Iterator[str]:
    return (n.value for n in _outside_id_functions(node) if isinstance(n, Literal) and isinstance(n.value, str))


def _assembled_by_hand(tree: Node) -> Call | None:
    """The `concat()` / `format()` call that builds a resource ID from provider path segments."""
    for call in _calls_outside_id_functions(tree):
        if call.name.lower() in _ASSEMBLERS and any(
            _PROVIDER_PATH.search(literal) for arg in call.args for literal in _literals_outside_id_functions(arg)
        ):
            return call
    return None


@lru_cache(maxsize=65536)  # the same ID expressions repeat across resources and templates
def _problem(value: str) -> tuple[str, tuple[int, int] | None] | None:
    """What is wrong with an ID written as `value`, and where in it."""
    if not is_expression(value):
        return ("a hard-coded resource ID", None) if _RESOURCE_ID.match(value) else None
    tree = try_parse(value)
    if tree is None:
        return None
    for call in _calls_outside_id_functions(tree):
        if call.name.lower() in _ASSEMBLERS:
            continue
        for arg in call.args:
            if isinstance(arg, Literal) and isinstance(arg.value, str) and _RESOURCE_ID.match(arg.value):
                return "a hard-coded resource ID", arg.span
    assembled = _assembled_by_hand(tree)
    if assembled is not None:
        return f"a resource ID assembled with {assembled.name}()", assembled.span
    return None


@lru_cache(maxsize=65536)  # asked of every ID value that has no problem of its own
def _variable_read(value: str) -> str | None:
    """`x` when `value` is exactly `[variables('x')]`: the ID is then followed into the variable."""
    tree = try_parse(value)
    if isinstance(tree, Call) and tree.namespace is None and tree.name.lower() == "variables":
        return literal_argument(tree)
    return None


class ResourceIdNotDerived(Rule):
    """
    ## What it does
    Reports a resource property whose name ends in `Id` (`subnetId`, `keyVaultId`,
    `workspaceResourceId`, `id`, ...) and whose value is a literal resource ID
    (`/subscriptions/...`, `/providers/Microsoft.X/...`) or is assembled with `concat()` or
    `format()` from provider path segments (`'/providers/'`, `'/resourceGroups/'`,
    `'/subscriptions/'`). A value that is exactly `[variables('x')]` is followed into the variable.
    Properties that hold GUIDs or names rather than resource IDs (`tenantId`, `principalId`,
    `clientId`, `objectId`, `appId`, `subscriptionId`, `keyVaultSecretId`, ... arm-ttk's list),
    `tags`, and Logic Apps and API Management backends are skipped. Unlike arm-ttk, values from
    parameters or any other function are accepted.

    ## Why is this bad?
    A hard-coded ID pins the template to one subscription and resource group; a hand-assembled ID
    is easy to get wrong (a missing segment, the wrong provider casing, a child type without its
    parent's name) and Azure reports `LinkedInvalidPropertyId` or `InvalidResourceReference` only at
    deployment time.

    ## Example
    ```json
    "subnet": { "id": "[concat('/subscriptions/', subscription().subscriptionId, '/resourceGroups/', resourceGroup().name, '/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default')]" }
    ```

    ## Use instead
    ```json
    "subnet": { "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]" }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (IDs-Should-Be-Derived-From-ResourceIDs)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#resourceid
    """

    id = "ARM009"
    name = "resource-id-not-derived"
    severity = "warning"
    summary = "a resource ID property written literally or assembled by hand"
    remedy = "build the ID with resourceId(), subscriptionResourceId(), extensionResourceId() or take it from a parameter"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for declared in declared_properties(ctx.document):
            if declared.declaration.type_lower in SKIPPED_TYPES:
                continue
            for parent, key, value in declared.id_strings:
                if key.lower() in NOT_RESOURCE_IDS:
                    continue
                # The tests of the text first: they are memoized, and most IDs pass them.
                problem = _problem(value)
                if problem is None:
                    variable_name = _variable_read(value)
                    if not variable_name or _in_tags_or_metadata(parent):
                        continue
                    found = self._in_variable(ctx, declared.declaration, declared.path + parent + (key,), key, variable_name)
                    if found is not None:
                        yield found
                elif not _in_tags_or_metadata(parent):
                    what, span = problem
                    path = declared.path + parent + (key,)
                    where = position_in_string(ctx, path, span) if span else position(ctx, path)
                    yield finding(self, ctx, f"'{key}' of {display_name(ctx, declared.declaration)} is {what}", where)

    def _in_variable(self, ctx: LintContext, declaration: Declaration, path: tuple[Any, ...], key: str, variable_name: str) -> Finding | None:
        """The finding for an ID that is exactly `[variables('x')]`, when the variable holds a problem."""
        variable = raw_get(raw_get(declaration.scope.owner.template, "variables"), variable_name)
        for _, text, _ in iter_strings(variable, ()):
            found = _problem(text)
            if found is not None:
                return finding(
                    self,
                    ctx,
                    f"'{key}' of {display_name(ctx, declaration)} is {found[0]} (in the variable '{variable_name}')",
                    position(ctx, path),
                )
        return None


def _scope_arguments(call: Call) -> list[tuple[Node, str]]:
    """The optional scope arguments of `resourceId([subscriptionId], [resourceGroupName], type, ...)`
    or `subscriptionResourceId([subscriptionId], type, ...)` with their roles: the arguments before
    the resource type (the first literal with a '/'). Empty when the type is not a literal."""
    type_index = next(
        (i for i, arg in enumerate(call.args) if isinstance(arg, Literal) and isinstance(arg.value, str) and "/" in arg.value),
        None,
    )
    if type_index is None:
        return []
    before = list(call.args[:type_index])
    if call.name.lower() == "subscriptionresourceid":
        return [(arg, "subscription") for arg in before[:1]]
    roles = ["subscription", "resourceGroup"] if len(before) == 2 else ["resourceGroup"]
    return list(zip(before, roles))


def _redundant_arguments(call: Call) -> list[tuple[int, str]]:
    """`(index, text)` of the scope arguments of `call` that are the defaults it uses without them.
    `resourceGroup().name` after another subscription is not one: the resource group can only be
    left out together with the subscription."""
    found: list[tuple[int, str]] = []
    for index, (arg, role) in enumerate(_scope_arguments(call)):
        if role == "subscription" and is_property_of_call(arg, "subscription", "subscriptionid"):
            found.append((index, "subscription().subscriptionId"))
        elif role == "resourceGroup" and is_property_of_call(arg, "resourcegroup", "name") and len(found) == index:
            found.append((index, "resourceGroup().name"))
    return found


def _leave_out_fix(document: Document, path: tuple[Any, ...], call: Call, redundant: list[tuple[int, str]]) -> Fix | None:
    """Deletes the redundant arguments: always the first ones, and the resource type follows them."""
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import replace_in_string

    edits = replace_in_string(document, path, (call.args[0].span[0], call.args[len(redundant)].span[0]), "")
    shown = " and ".join(text for _, text in redundant)
    return Fix(f"Leave out {shown} in {call.name}()", edits, "safe") if edits else None


# What a redundant argument needs: subscription().subscriptionId or resourceGroup().name.
_DEFAULT_SCOPE = re.compile(r"subscriptionid|resourcegroup\s*\(\s*\)\s*\.\s*name")


class ResourceIdRedundantArguments(Rule):
    """
    ## What it does
    Reports `resourceId()` given `subscription().subscriptionId` or `resourceGroup().name`, and
    `subscriptionResourceId()` given `subscription().subscriptionId`: the values these functions
    use when the argument is left out. The finding points at the redundant argument.
    `resourceGroup().name` after another subscription is not reported: the resource group can
    only be left out together with the subscription.

    ## Why is this bad?
    The arguments add nothing but length, and suggest to a reader that the ID targets another
    subscription or resource group when it does not.

    ## Example
    ```json
    "[resourceId(subscription().subscriptionId, resourceGroup().name, 'Microsoft.Network/virtualNetworks', parameters('vnetName'))]"
    ```

    ## Use instead
    ```json
    "[resourceId('Microsoft.Network/virtualNetworks', parameters('vnetName'))]"
    ```

    ## References
    - https://github.com/Azure/arm-ttk (ResourceIds-should-not-contain)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#resourceid

    ## Fix safety
    The fix deletes the redundant arguments of the call (both, when both are given); it is safe:
    the function returns the same ID. An expression used as a property name is not fixed.
    """

    id = "ARM010"
    name = "resource-id-redundant-arguments"
    severity = "note"  # redundant, not wrong: the ID is the same
    summary = "resourceId() given the subscription or resource group it defaults to"
    remedy = "leave out subscription().subscriptionId and resourceGroup().name: they are the defaults"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for entry, call in document_index(ctx.document).calls("resourceid", "subscriptionresourceid", mentioning=_DEFAULT_SCOPE):
            redundant = _redundant_arguments(call)
            if not redundant:
                continue
            # One fix for the call, on each of its findings: applied once, it resolves them all.
            fix = None if entry.is_key else _leave_out_fix(ctx.document, entry.path, call, redundant)
            for index, shown in redundant:
                where = entry_position(ctx, entry, call.args[index].span)
                yield finding(self, ctx, f"{call.name}() is given {shown}, which is its default: leave the argument out", where, fix=fix)
