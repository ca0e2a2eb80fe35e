"""ARM001, ARM002, ARM013: parameters and variables that are declared but never used, and parameter
declarations whose bounds, default or allowed values contradict their type."""
from __future__ import annotations

from typing import Any, Iterator, cast

from ...expressions.parser import is_expression
from ...findings import Finding, Fix
from ...source import Document
from ..base import LintContext, Rule, raw_get, raw_key
from ._scan import (
    JsonPath,
    TemplateScope,
    document_index,
    per_document,
    finding,
    named_references,
    parameter_declarations,
    position,
    template_scopes,
)

@per_document
def _references(document: Document) -> dict[JsonPath | None, dict[str, tuple[set[str], bool]]]:
    """For each template with its own scope: the names `parameters('x')` and `variables('x')`
    refer to, and whether any reference is computed (then nothing can be said)."""
    found: dict[JsonPath | None, dict[str, tuple[set[str], bool]]] = {}
    for owner, texts in document_index(document).texts_by_owner.items():
        # The references of each text (cached per distinct text), turned into two columns by
        # `zip` and merged in C (`union`), not in a Python loop. Deduplicating the texts first
        # costs more than it saves.
        parameters, variables = zip(*map(named_references, texts))
        found[owner] = {"parameters": _used(parameters), "variables": _used(variables)}
    return found


def _used(references: tuple[frozenset[str | None], ...]) -> tuple[set[str], bool]:
    """The names that references use, and whether one is computed (None among them). The empty
    sets (most texts name no variable) are left out first: `filter` drops them for less than
    `union` takes to merge them."""
    names: set[str | None] = set().union(*filter(None, references))
    computed = None in names
    names.discard(None)
    return cast("set[str]", names), computed


_NOTHING_USED: tuple[set[str], bool] = (set(), False)


def _maybe_unused(ctx: LintContext, section: str) -> Iterator[tuple[TemplateScope, str, dict[str, Any], set[str]]]:
    """For each template with its own scope whose `section` (parameters or variables) may declare
    a name that no expression uses: the key as spelled, the declarations, and the names used.
    Templates that refer to them by computed names are skipped: nothing can be said there."""
    references = _references(ctx.document)
    for scope in template_scopes(ctx.document):
        if not scope.own_scope:
            continue
        declared = raw_get(scope.template, section)
        if not isinstance(declared, dict) or not declared:
            continue
        used, dynamic = references.get(scope.path, {}).get(section, _NOTHING_USED)
        # The usual case, settled in C: every name declared is used. A `copy` block among the
        # variables declares the names of its loops, which the rule has to look at.
        if dynamic or ("copy" not in used and used.issuperset(map(str.lower, declared))):
            continue
        yield scope, raw_key(scope.template, section), declared, used


def _where(scope: TemplateScope) -> str:
    return "" if scope.is_root else f" in the nested template at {'.'.join(str(p) for p in scope.path)}"


class ParameterNotUsed(Rule):
    """
    ## What it does
    Reports a parameter that no expression of its template refers to with `parameters('name')`
    (case-insensitive). Each template with its own scope is checked on its own: the root, and
    every inline nested template with `"expressionEvaluationOptions": {"scope": "inner"}`; a
    nested template with outer scope counts as part of its parent. The parameters of user-defined
    functions are the function's own and are not considered. Parameters whose name starts with
    `__` are skipped (as arm-ttk does), and so is a template that reads its parameters without
    naming them (`parameters(variables('x'))`, `deployment().properties.parameters`).

    ## Why is this bad?
    A value passed for the parameter is silently ignored: whoever deploys believes a setting is
    applied when it is not. It also makes the template harder to read and to review.

    ## Example
    ```json
    "parameters": {
      "location": { "type": "string", "defaultValue": "[resourceGroup().location]" },
      "skuName": { "type": "string", "defaultValue": "standard" }
    },
    "resources": [ { "type": "Microsoft.KeyVault/vaults", "location": "[parameters('location')]",
                     "properties": { "sku": { "family": "A", "name": "premium" } } } ]
    ```

    ## Use instead
    Use the parameter where it was meant to apply (`"name": "[parameters('skuName')]"`), or delete it.

    ## References
    - https://github.com/Azure/arm-ttk (Parameters-Must-Be-Referenced)
    - https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter-rule-no-unused-parameters
    """

    id = "ARM001"
    name = "parameter-not-used"
    severity = "warning"
    summary = "a parameter that no expression of its template uses"
    remedy = "use the parameter or remove it"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for scope, key, parameters, used in _maybe_unused(ctx, "parameters"):
            for name in parameters:
                if name.startswith("__") or name.lower() in used:
                    continue
                yield finding(
                    self,
                    ctx,
                    f"the parameter '{name}'{_where(scope)} is never used: a value passed for it is silently ignored",
                    position(ctx, scope.path + (key, name), key=True),
                )


class VariableNotUsed(Rule):
    """
    ## What it does
    Reports a variable that no expression of its template refers to with `variables('name')`
    (case-insensitive), including the variables a `copy` block in `variables` declares. Each
    template with its own scope (the root, inline nested templates with inner scope) is checked on
    its own; a template that refers to variables by a computed name (`variables(concat(...))`) is
    skipped.

    ## Why is this bad?
    Dead code: a reader has to work out that the value goes nowhere, and a change made to it has no
    effect, which is easy to miss in review.

    ## Example
    ```json
    "variables": { "vaultName": "[concat('kv-', uniqueString(resourceGroup().id))]", "unused": "x" }
    ```

    ## Use instead
    Remove the variable, or use it where it was meant to apply.

    ## References
    - https://github.com/Azure/arm-ttk (Variables-Must-Be-Referenced)
    - https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter-rule-no-unused-variables

    ## Fix safety
    The fix deletes the variable (not a variable of a `copy` block). It is safe: nothing in the
    template reads it, and a template that reads variables by computed names is never reported.
    """

    id = "ARM002"
    name = "variable-not-used"
    severity = "warning"
    summary = "a variable that no expression of its template uses"
    remedy = "remove the variable or use it"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for scope, key, variables, used in _maybe_unused(ctx, "variables"):
            for name, value in variables.items():
                if name.lower() == "copy" and isinstance(value, list):
                    # Each loop of a `copy` block declares the variable named by its `name`.
                    for i, loop in enumerate(value):
                        loop_name = raw_get(loop, "name")
                        if isinstance(loop_name, str) and loop_name.lower() not in used:
                            yield finding(
                                self,
                                ctx,
                                f"the variable '{loop_name}'{_where(scope)} (a copy loop) is never used",
                                position(ctx, scope.path + (key, name, i, raw_key(loop, "name"))),
                            )
                    continue
                if name.lower() not in used:
                    yield finding(
                        self,
                        ctx,
                        f"the variable '{name}'{_where(scope)} is never used",
                        position(ctx, scope.path + (key, name), key=True),
                        fix=_removal_fix(ctx, scope.path + (key, name), name),
                    )


def _removal_fix(ctx: LintContext, path: JsonPath, name: str) -> Fix | None:
    from ...fixes.edits import remove_member  # only when there is something to fix: lint imports stay small

    edits = remove_member(ctx.document, path)
    return Fix(f"Remove the unused variable '{name}'", edits, "safe") if edits else None


# The JSON kind each parameter type accepts, by lower-case type. Parsed templates hold exactly
# these Python types (json.loads), so `type(value) is kind` is the test; it also keeps `true`
# from passing for an `int`, which isinstance(True, int) would let through.
_TYPE_CHECKS: dict[str, tuple[str, type]] = {
    "string": ("a string", str),
    "securestring": ("a string", str),
    "int": ("an integer", int),
    "bool": ("a boolean", bool),
    "object": ("an object", dict),
    "secureobject": ("an object", dict),
    "array": ("an array", list),
}


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction"
    if isinstance(value, str):
        return "an expression" if is_expression(value) else "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


class ParameterDeclarationInconsistent(Rule):
    """
    ## What it does
    Checks each parameter declaration against its `type`: `minValue` and `maxValue` must be
    integers written as JSON numbers (not strings, not expressions); a literal `defaultValue` and
    every entry of `allowedValues` must be of the declared type (for `array` parameters the
    allowed values are the items, and are not checked). Expressions in `defaultValue` are left
    alone: their type is only known once evaluated (the expansion reports it then, as AV001). A
    `null` default is accepted (nullable parameters).

    ## Why is this bad?
    Azure validates parameter values against the declaration. A bound written as `"10"` is not a
    number; a default of the wrong type makes every deployment that relies on the default fail with
    `InvalidTemplate`; an allowed value of the wrong type can never be chosen, so the list does not
    say what the template really accepts.

    ## Example
    ```json
    "instanceCount": { "type": "int", "defaultValue": "2", "minValue": "1", "maxValue": 10 }
    ```

    ## Use instead
    ```json
    "instanceCount": { "type": "int", "defaultValue": 2, "minValue": 1, "maxValue": 10 }
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/parameters
    - https://github.com/Azure/arm-ttk (Min-And-Max-Value-Are-Numbers)
    """

    id = "ARM013"
    name = "parameter-declaration-inconsistent"
    severity = "warning"
    summary = "a parameter whose bounds, default or allowed values do not match its type"
    remedy = "write bounds as integers and defaults and allowed values of the declared type"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for parameter in parameter_declarations(ctx.document):
            decl = parameter.decl
            # Most declarations (38k over the corpus) are consistent and spell their keys the usual
            # way: that is settled here with direct look-ups and C-level tests. Anything else (other
            # spellings, bounds, a value of another kind) gets the full check, which decides.
            if decl.keys() <= _USUAL_KEYS:
                ptype = decl.get("type")
                # Types are nearly always written in lower case: that look-up first spares lower().
                checked = (_TYPE_CHECKS.get(ptype) or _TYPE_CHECKS.get(ptype.lower())) if type(ptype) is str else None
                if checked is None:
                    continue  # no bounds and no type to check against
                kind = checked[1]
                default = decl.get("defaultValue")
                if default is None or type(default) is kind:
                    allowed = decl.get("allowedValues")
                    if type(allowed) is not list or kind is list or set(map(type, allowed)) <= {kind, type(None)}:
                        continue
            yield from self._check_parameter(ctx, parameter.path, parameter.name, decl)

    def _check_parameter(self, ctx: LintContext, path: tuple[Any, ...], name: str, decl: dict[str, Any]) -> Iterator[Finding]:
        keys = _spelled(decl)
        for bound in ("minvalue", "maxvalue"):
            key = keys.get(bound)
            if key is not None:
                value = decl[key]
                if type(value) is not int:
                    yield finding(
                        self,
                        ctx,
                        f"'{key}' of parameter '{name}' is {_json_kind(value)}, not an integer",
                        position(ctx, path + (key,)),
                    )
        type_key = keys.get("type")
        ptype = decl[type_key] if type_key is not None else None
        if not isinstance(ptype, str) or ptype.lower() not in _TYPE_CHECKS:
            return
        expected, kind = _TYPE_CHECKS[ptype.lower()]
        default_key = keys.get("defaultvalue")
        if default_key is not None:
            default = decl[default_key]
            literal = not (isinstance(default, str) and is_expression(default))
            if default is not None and literal and type(default) is not kind:
                yield finding(
                    self,
                    ctx,
                    f"the default value of parameter '{name}' (type '{ptype}') is {_json_kind(default)}, not {expected}: "
                    "deployments that use the default fail",
                    position(ctx, path + (default_key,)),
                )
        allowed_key = keys.get("allowedvalues")
        allowed = decl[allowed_key] if allowed_key is not None else None
        if kind is list or not isinstance(allowed, list):  # the allowed values of an array are its items
            return
        for i, entry in enumerate(allowed):
            if entry is not None and type(entry) is not kind:
                yield finding(
                    self,
                    ctx,
                    f"an allowed value of parameter '{name}' (type '{ptype}') is {_json_kind(entry)}, not {expected}: it can never be chosen",
                    position(ctx, path + (allowed_key, i)),
                )


_DECLARATION_KEYS = frozenset({"type", "minValue", "maxValue", "defaultValue", "allowedValues"})
# The keys a parameter declaration usually has, spelled as usual; `minValue` and `maxValue` are
# left out so that a declaration with bounds gets the full check. A declaration whose keys are
# all among these has no other spelling of a key ARM013 reads.
_USUAL_KEYS = frozenset(
    {
        "type", "defaultValue", "allowedValues", "metadata", "nullable", "items", "$ref",
        "minLength", "maxLength", "properties", "additionalProperties",
    }
)


def _spelled(decl: dict[str, Any]) -> dict[str, str]:
    """The keys of a parameter declaration by lower-case name, as `decl` spells them: what
    `raw_key` finds (the usual spelling first, else the first that matches ignoring case), for
    every key ARM013 reads in one pass over `decl` rather than one look-up each."""
    found: dict[str, str] = {}
    for key in decl:
        lowered = key.lower()
        if key in _DECLARATION_KEYS or lowered not in found:
            found[lowered] = key
    return found
