"""IDM002: a role assignment whose name is not a `guid()` of its scope, principal and role."""
from __future__ import annotations

import re
from functools import cached_property, lru_cache
from operator import is_
from typing import Any, Iterator

from ...expressions.parser import Call, Index, Literal, Node, Property, is_expression, node_text, unescape_literal
from ...findings import Finding, Fix
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name
from .sources import (
    MAX_INLINE_DEPTH,
    declaring_template,
    is_nondeterministic,
    named_reference,
    origin_phrase,
    try_parse,
    walk,
)

ROLE_ASSIGNMENTS = "microsoft.authorization/roleassignments"
_RESOURCE_TYPE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)+/", re.IGNORECASE)
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-[a-z]+)?$", re.IGNORECASE)
# Functions whose result identifies a scope: a resource ID, or the `id` of the group or subscription.
_SCOPE_FUNCTIONS = frozenset({"resourceid", "extensionresourceid", "tenantresourceid"})
# Functions a resource name cannot use, or whose value changes on every run (`list*` by prefix).
_NOT_IN_NAMES = ("reference", "list", "newguid", "utcnow")
_EXISTS = "409 `RoleAssignmentExists` (\"The role assignment already exists.\")"
_NOT_PERMITTED = (
    "`RoleAssignmentUpdateNotPermitted` (\"Tenant ID, application ID, principal ID, and scope are not allowed "
    "to be updated.\")"
)


def _inline_variables(node: Node, template: dict[str, Any], depth: int = 0) -> Node:
    """The tree with each `variables('x')` replaced by the variable's own expression (or literal).
    A subtree where nothing is replaced is returned as it is, not copied: most names read only
    object variables (`formattedRoleAssignments`), and callers skip work on an unchanged tree."""
    if type(node) is Call:
        variable = named_reference(node, "variables")
        if variable is not None and depth < MAX_INLINE_DEPTH:
            declared = raw_get(template, "variables")
            value = raw_get(declared, variable) if isinstance(declared, dict) else None
            tree = try_parse(value)
            if tree is not None:
                return _inline_variables(tree, template, depth + 1)
            if isinstance(value, str):
                return Literal(value, node.span)
            return node
        args = tuple([_inline_variables(a, template, depth) for a in node.args])
        return node if all(map(is_, args, node.args)) else Call(node.name, node.namespace, args, node.span)
    if type(node) is Property:
        target = _inline_variables(node.target, template, depth)
        return node if target is node.target else Property(target, node.name, node.span)
    if type(node) is Index:
        target = _inline_variables(node.target, template, depth)
        index = _inline_variables(node.index, template, depth)
        return node if target is node.target and index is node.index else Index(target, index, node.span)
    return node


def _text(node: Node) -> str:
    """A normalized text of a tree (lower case, no spaces) for comparing expressions."""
    if isinstance(node, Literal):
        return f"'{node.value}'".lower() if isinstance(node.value, str) else str(node.value).lower()
    if isinstance(node, Call):
        name = f"{node.namespace}.{node.name}" if node.namespace else node.name
        return f"{name.lower()}({','.join([_text(a) for a in node.args])})"
    if isinstance(node, Property):
        return f"{_text(node.target)}.{node.name.lower()}"
    return f"{_text(node.target)}[{_text(node.index)}]"


@lru_cache(maxsize=4096)  # the same principals, roles and scopes recur across templates (AVM's modules)
def _written_text(value: str) -> str:
    """`_text` of the tree of a string as written (an expression, or a literal)."""
    return _text(_tree(value))  # type: ignore[arg-type]  # a string always has a tree


def _tree(value: Any) -> Node | None:
    """The parse tree of a raw value: an expression, or a literal string as a Literal."""
    tree = try_parse(value)
    if tree is None and isinstance(value, str):
        return Literal(value, (0, len(value)))
    return tree


class _Template:
    """The template declaring role assignments, for reading its expressions. Role assignments of the
    same template (copies of one declaration, or several declarations) share one, so what is read
    from an expression is worked out once per template."""

    def __init__(self, ctx: LintContext, resource: ExpandedResource, template: dict[str, Any]):
        self.template = template  # `declaring_template(resource)`
        self._ctx = ctx
        self._document = resource.document
        self._deployment = resource.deployment
        self._inlined: dict[str, Node | None] = {}
        self._anchors: dict[tuple[str, int], frozenset[str]] = {}
        self._left_out: dict[tuple[str | None, ...], tuple[str, ...]] = {}

    @cached_property
    def siblings(self) -> list[ExpandedResource]:
        # Only a `reference('x')` needs them.
        return [r for r in self._ctx.resources() if r.document is self._document and r.deployment == self._deployment]

    def resource_named(self, reference: str) -> ExpandedResource | None:
        """A resource of the same template by symbolic name, or by name as 1.0 `reference('name')`."""
        lowered = reference.lower()
        for candidate in self.siblings:
            if (candidate.symbolic_name or "").lower() == lowered:
                return candidate
        for candidate in self.siblings:
            if isinstance(candidate.name, str) and candidate.name.lower() == lowered:
                return candidate
        return None

    def inlined(self, value: Any) -> Node | None:
        """The tree of a raw value (`_tree`) with its variables inlined."""
        if not isinstance(value, str):
            return None
        if value not in self._inlined:
            tree = _tree(value)
            # Without a variable that holds a string in the template, or a `variables()` call in the
            # text, nothing is inlined: the tree is kept as it is, without a walk.
            if tree is not None and self._has_string_variables and "variables" in value.lower():
                tree = _inline_variables(tree, self.template)
            self._inlined[value] = tree
        return self._inlined[value]

    @cached_property
    def _has_string_variables(self) -> bool:
        """Whether a variable of the template holds a string: only those are inlined (two thirds of
        the AVM templates that assign roles hold only objects and arrays there, like
        `formattedRoleAssignments`)."""
        declared = raw_get(self.template, "variables")
        return isinstance(declared, dict) and any(isinstance(value, str) for value in declared.values())

    def anchors(self, value: Any, depth: int = 0) -> frozenset[str]:
        """The parts of an expression that identify what it refers to: the parameters and variables it
        reads, its literal strings (not resource types or api-versions), and, for `reference('x')`,
        the anchors of the name of resource `x`. Matching any of them in a `guid()` means it is seeded."""
        if not isinstance(value, str) or depth > MAX_INLINE_DEPTH:
            return frozenset()  # `_tree` of anything but a string is None
        key = (value, depth)
        if key not in self._anchors:
            self._anchors[key] = frozenset(self._find_anchors(value, depth))
        return self._anchors[key]

    def _find_anchors(self, value: str, depth: int) -> set[str]:
        found: set[str] = set()
        tree, inlined = _tree(value), self.inlined(value)
        for current in (tree,) if inlined is tree else (tree, inlined):  # the same tree: walked once
            for node in walk(current):  # type: ignore[arg-type]  # a string always has a tree
                if isinstance(node, Literal):
                    if isinstance(node.value, str) and _is_identifying(node.value):
                        found.add(_text(node))
                elif not isinstance(node, Call):
                    continue
                elif named_reference(node, "parameters") is not None or named_reference(node, "variables") is not None:
                    found.add(_text(node))
                else:
                    target = named_reference(node, "reference")
                    referenced = self.resource_named(target) if target is not None else None
                    if referenced is not None:
                        found |= self.anchors(raw_get(referenced.raw, "name"), depth + 1)
        return found

    def left_out(self, name: str, principal: Any, role: Any, scope: Any) -> tuple[str, ...]:
        """What the `guid()` of the name expression `name` leaves out, of a declaration's principal,
        role and scope as written; asked once per declaration (its copies ask again)."""
        key = tuple(value if isinstance(value, str) else None for value in (name, principal, role, scope))
        if key not in self._left_out:
            self._left_out[key] = self._find_left_out(name, principal, role, scope)
        return self._left_out[key]

    def _find_left_out(self, name: str, principal: Any, role: Any, scope: Any) -> tuple[str, ...]:
        # An inlined tree that is the raw tree itself (no variable inlined) has the same texts:
        # they are worked out once.
        tree, inlined = _tree(name), self.inlined(name)
        guid = _guid_call(inlined)  # type: ignore[arg-type]  # an expression has a tree
        assert guid is not None, "asked only of a name that is a guid()"
        arguments = ",".join(map(_text, guid.args))
        # Compare with both the raw arguments and the ones with variables inlined.
        raw_guid = guid if inlined is tree else _guid_call(tree)  # type: ignore[arg-type]
        if raw_guid is not None:
            arguments += "|" + (arguments if raw_guid is guid else ",".join(map(_text, raw_guid.args)))
        missing: list[str] = []
        for prop, value in (("principalId", principal), ("roleDefinitionId", role)):
            value_tree = _tree(value)
            if value_tree is None:
                continue  # not there, or not a string: nothing to compare
            as_written = _written_text(value)
            inlined = self.inlined(value)
            whole = as_written if inlined is value_tree else _text(inlined)  # type: ignore[arg-type]  # it has a tree
            if not self._mentions(arguments, value, whole, as_written):
                missing.append(f"`{prop}` ({value})")
        scope_tree = _tree(scope)
        if not _names_a_scope(guid.args) and not (scope_tree is not None and self._mentions(arguments, scope, _written_text(scope))):
            missing.append("the scope (such as `resourceGroup().id` or the `scope` resource's ID)")
        return tuple(missing)

    def _mentions(self, arguments: str, value: str, *texts: str) -> bool:
        """Do the `guid()` arguments mention the expression `value` (as one of its `texts`), or one
        of its anchors? The anchors, the costly part, only when the expression is not there whole."""
        return any(text in arguments for text in texts) or any(anchor in arguments for anchor in self.anchors(value))


def _is_identifying(literal: str) -> bool:
    """A literal string that names something, rather than a type, an api-version or a keyword."""
    return bool(literal) and not _RESOURCE_TYPE.match(literal) and not _API_VERSION.match(literal) and literal.lower() != "full"


def _guid_call(tree: Node) -> Call | None:
    """The `guid(...)` call that makes the name (the outermost one)."""
    return next((n for n in walk(tree) if isinstance(n, Call) and n.namespace is None and n.name.lower() == "guid"), None)


def _names_a_scope(arguments: tuple[Node, ...]) -> bool:
    """Does a `guid()` argument identify a scope: an `id` property or a resource ID function?"""
    for argument in arguments:
        for node in walk(argument):
            if isinstance(node, Property) and node.name.lower() in ("id", "subscriptionid"):
                return True
            if isinstance(node, Call) and node.namespace is None and node.name.lower() in _SCOPE_FUNCTIONS:
                return True
    return False


class RoleAssignmentNameNotStable(Rule):
    """
    ## What it does
    Reports a role assignment (`Microsoft.Authorization/roleAssignments`) whose name is not a
    `guid()` of stable inputs that include its scope, its principal and its role definition: a
    name from `newGuid()` or `utcNow()`, a literal name, or a `guid()` whose arguments leave out
    the expression used for `principalId`, for `roleDefinitionId`, or for the scope.

    ## Why is this bad?
    A role assignment's name is its identity, and Azure allows one assignment per principal, role
    and scope. A name that changes on every run asks for a second assignment of the same role:
    the redeploy fails with 409 `RoleAssignmentExists` ("The role assignment already exists.").
    A name that stays the same while the principal or scope changes (a literal, or a `guid()`
    without them) asks Azure to update the assignment, which fails with
    `RoleAssignmentUpdateNotPermitted` ("Tenant ID, application ID, principal ID, and scope are
    not allowed to be updated."). A `guid()` argument matches when it uses the same parameters,
    variables, literal IDs or referenced resource as the property; the scope matches a resource
    ID (`resourceId(...)`), an `id` property (`resourceGroup().id`, `subscription().id`) or the
    `scope` expression.

    ## Example
    ```json
    "parameters": { "roleAssignmentName": { "type": "string", "defaultValue": "[newGuid()]" } },
    ...
    { "type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
      "name": "[parameters('roleAssignmentName')]",
      "properties": { "roleDefinitionId": "[variables('readerRoleId')]", "principalId": "[parameters('principalId')]" } }
    ```

    ## Use instead
    ```json
    "name": "[guid(resourceGroup().id, parameters('principalId'), variables('readerRoleId'))]"
    ```

    ## References
    - https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template
    - https://learn.microsoft.com/azure/role-based-access-control/troubleshooting

    ## Fix safety
    The fix names the assignment `guid(<scope>, <principalId>, <roleDefinitionId>)`, each written
    as in the declaration; the scope is its `scope`, else `resourceGroup().id` or
    `subscription().id` of a top-level declaration. It is display-only: an assignment that
    already exists under the old name keeps holding that principal, role and scope, so deploying
    the new name asks for a second one and fails with 409 `RoleAssignmentExists` until the old
    assignment is deleted.
    """

    id = "IDM002"
    name = "role-assignment-name-not-stable"
    severity = "error"
    summary = "a role assignment whose name is not a guid() of its scope, principal and role"
    remedy = "name the role assignment guid(<scope id>, <principalId expression>, <roleDefinitionId expression>)"
    resource_types = (ROLE_ASSIGNMENTS,)

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        templates: dict[tuple[int, str | None, int], _Template] = {}
        for resource in ctx.resources(ROLE_ASSIGNMENTS):
            if resource.existing or resource.deployed is False:
                continue
            # What `_Template` reads: the template object, and the resources beside it (same file, same deployment).
            declared_in = declaring_template(resource)
            key = (id(resource.document), resource.deployment, id(declared_in))
            template = templates.get(key)
            if template is None:
                template = templates[key] = _Template(ctx, resource, declared_in)
            finding = self._check_one(ctx, resource, template)
            if finding is not None:
                yield finding

    def _check_one(self, ctx: LintContext, resource: ExpandedResource, template: _Template) -> Finding | None:
        raw_name = raw_get(resource.raw, "name")
        path = (raw_key(resource.raw, "name"),)
        label = f"the role assignment `{display_name(resource)}`"
        if is_nondeterministic(resource.name):
            return self.finding(
                ctx,
                f"{label} is named from {origin_phrase(resource, raw_name)}, a new name on every deployment: "
                f"the redeploy asks for a second assignment of the same role and fails with {_EXISTS}",
                resource=resource,
                path=path,
                fix=_stable_name_fix(resource, path),
            )
        tree = try_parse(raw_name)
        inlined = template.inlined(raw_name) if tree is not None else None
        guid = _guid_call(inlined) if inlined is not None else None
        if guid is None:
            if isinstance(resource.name, str) and (inlined is None or all(not isinstance(n, Call) for n in walk(inlined))):
                return self.finding(
                    ctx,
                    f"{label} has a fixed name: deployed again for another principal or scope (another environment, "
                    f"a changed parameter) it asks Azure to update the assignment, which fails with {_NOT_PERMITTED}",
                    resource=resource,
                    path=path,
                    severity="warning",
                    fix=_stable_name_fix(resource, path),
                )
            return None  # a name passed in as a parameter: only the caller knows whether it is stable
        properties = raw_get(resource.raw, "properties")
        missing = template.left_out(
            raw_name, raw_get(properties, "principalId"), raw_get(properties, "roleDefinitionId"), raw_get(resource.raw, "scope")
        )
        if not missing:
            return None
        return self.finding(
            ctx,
            f"the name `{raw_name}` of role assignment '{display_name(resource)}' is a guid() that leaves out "
            f"{' and '.join(missing)}: when that changes (another environment, another parameter value) the same "
            f"name asks Azure to update the assignment, which fails with {_NOT_PERMITTED}",
            resource=resource,
            path=path,
            severity="warning",
            fix=_stable_name_fix(resource, path),
        )


def _seed(value: str) -> str | None:
    """A template string as a `guid()` argument of a name: a literal quoted, an expression's own
    text. A principal read with `reference(X).principalId` is seeded with `X` (Bicep's pattern:
    `reference()` is not allowed in a resource name). None for what a name cannot hold, or what
    would not change with the principal (`reference('symbolicName')`)."""
    if not is_expression(value):
        return "'" + unescape_literal(value).replace("'", "''") + "'"
    tree = try_parse(value)
    if tree is None:
        return None
    target = tree
    while isinstance(target, Property):
        target = target.target
    if isinstance(target, Call) and target.namespace is None and target.name.lower() == "reference":
        if not target.args or not isinstance(target.args[0], Call):
            return None
        tree = target.args[0]
    for node in walk(tree):
        if isinstance(node, Call) and node.namespace is None and node.name.lower().startswith(_NOT_IN_NAMES):
            return None
    return node_text(value, tree)


def _scope_argument(resource: ExpandedResource) -> str | None:
    """What identifies the assignment's scope: its `scope` as written (not a languageVersion 2.0
    symbolic name), else the resource group or subscription a top-level declaration deploys to.
    None when that is not clear (a nested deployment, another resource group)."""
    scope = raw_get(resource.raw, "scope")
    if isinstance(scope, str):
        return _seed(scope) if is_expression(scope) or "/" in scope else None
    if scope is not None or resource.deployment is not None:
        return None
    if raw_get(resource.raw, "resourceGroup") is not None or raw_get(resource.raw, "subscriptionId") is not None:
        return None
    target = resource.target.lower()
    if "/resourcegroups/" in target:
        return "resourceGroup().id"
    return "subscription().id" if target.startswith("/subscriptions/") else None


def _stable_name_fix(resource: ExpandedResource, path: tuple[Any, ...]) -> Fix | None:
    """Names the assignment guid(scope, principal, role). Display-only: a live assignment under the
    old name makes the new one fail with RoleAssignmentExists until it is deleted."""
    properties = raw_get(resource.raw, "properties")
    principal, role = raw_get(properties, "principalId"), raw_get(properties, "roleDefinitionId")
    scope = _scope_argument(resource)
    principal_seed = _seed(principal) if isinstance(principal, str) else None
    role_seed = _seed(role) if isinstance(role, str) else None
    if scope is None or principal_seed is None or role_seed is None:
        return None
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import replace_value

    name = f"[guid({scope}, {principal_seed}, {role_seed})]"
    edits = replace_value(resource.document, resource.json_path + path, name)
    title = (
        f"Name the role assignment `{name}` (delete the live assignment under the old name first: "
        f"Azure refuses a second assignment of the same principal, role and scope with RoleAssignmentExists)"
    )
    return Fix(title, edits, "display-only") if edits else None
