"""ARM003-ARM006: secrets in templates: secure parameters with defaults, password-like parameters
that are not secure, literal admin credentials, and outputs that return secrets."""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import compress
from operator import attrgetter
from typing import Any, Iterator

from ...expressions.parser import Call, Index, Node, Property, is_expression
from ...findings import Finding, Fix, Severity
from ...source import Document
from ..base import LintContext, Rule, raw_get, raw_key
from ._properties import ADMIN_CREDENTIALS, declared_properties
from ._scan import (
    JsonPath,
    ParameterDeclaration,
    TemplateScope,
    calls,
    display_name,
    finding,
    iter_strings,
    literal_argument,
    parameter_declarations,
    per_document,
    position,
    position_in_string,
    template_scopes,
    try_parse,
)

SECURE_TYPES = ("securestring", "secureobject")
MAX_VARIABLE_DEPTH = 8  # variables referring to variables deeper than this are not followed


def parameter_type(template: dict[str, Any], decl: dict[str, Any]) -> str:
    """A parameter's (or an output's) declared type, lower-case, following a `$ref` to
    `definitions` once."""
    ptype = decl.get("type")  # the usual spelling: spares raw_get's call for nearly every declaration
    if ptype is None:
        ptype = raw_get(decl, "type")
    if isinstance(ptype, str):
        return ptype.lower()
    ref = raw_get(decl, "$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        target = raw_get(raw_get(template, "definitions"), ref.rsplit("/", 1)[-1])
        ptype = raw_get(target, "type")
        if isinstance(ptype, str):
            return ptype.lower()
    return ""


@per_document
def secure_declarations(document: Document) -> list[ParameterDeclaration]:
    """The parameter declarations of the file whose type (as `parameter_type` says) is
    secureString or secureObject: ARM003 and ARM006 look at those only."""
    found: list[ParameterDeclaration] = []
    for parameter in parameter_declarations(document):
        # A type written as a string under the usual key is lowered here: spares the call of
        # parameter_type for nearly every one of the 38k parameters of the corpus.
        ptype = parameter.decl.get("type")
        if (ptype.lower() if type(ptype) is str else parameter_type(parameter.scope.template, parameter.decl)) in SECURE_TYPES:
            found.append(parameter)
    return found


@per_document
def secure_parameters(document: Document) -> dict[JsonPath, dict[str, str]]:
    """The secure parameters of each template object of the file, by the template's path:
    lower-case name -> name as declared."""
    found: dict[JsonPath, dict[str, str]] = {}
    for parameter in secure_declarations(document):
        found.setdefault(parameter.scope.path, {})[parameter.name.lower()] = parameter.name
    return found


# --- ARM003 -----------------------------------------------------------------------------------------


def _has_string_leaf(value: Any) -> bool:
    if isinstance(value, str):
        return value != ""
    if isinstance(value, dict):
        return any(_has_string_leaf(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_string_leaf(v) for v in value)
    return False


class SecureParameterHasDefault(Rule):
    """
    ## What it does
    Reports a `secureString` or `secureObject` parameter with a `defaultValue`. Accepted, as in
    arm-ttk: an empty default (`""`, `{}`, `[]`, `null`) and an expression that calls `newGuid()`
    (a fresh random value on each deployment that does not pass one). A `secureObject` default
    with no string in it (`{"enabled": false}`) holds no secret and is accepted too.

    ## Why is this bad?
    The default is part of the template: whoever can read the template, its repository or the
    deployment's template in the portal knows the secret that every deployment without an explicit
    value uses. A default computed from public values (`uniqueString(subscription().id)`) is just as
    predictable.

    ## Example
    ```json
    "adminPassword": { "type": "securestring", "defaultValue": "P@ssw0rd1234" }
    ```

    ## Use instead
    No default: pass the value at deployment time, ideally as a Key Vault reference in the parameter file.
    ```json
    "adminPassword": { "type": "securestring" }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (Secure-String-Parameters-Cannot-Have-Default)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/key-vault-parameter

    ## Fix safety
    The fix deletes `defaultValue`. It is unsafe: the parameter becomes required, so every
    deployment that relied on the default must now pass a value.
    """

    id = "ARM003"
    name = "secure-parameter-has-default"
    severity = "error"  # a known secret protects nothing: as arm-ttk, an error
    summary = "a secure parameter with a default value written in the template"
    remedy = "remove the default and pass the secret at deployment time (for example a Key Vault reference)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for parameter in secure_declarations(ctx.document):
            key = raw_key(parameter.decl, "defaultValue")
            if key not in parameter.decl or not _has_string_leaf(parameter.decl[key]):
                continue
            tree = try_parse(parameter.decl[key])
            if tree is not None and any(calls(tree, "newguid")):
                continue
            how = "computed by an expression anyone can evaluate" if tree is not None else "written in the template"
            yield finding(
                self,
                ctx,
                f"the secure parameter '{parameter.name}' has a default value {how}: "
                "every deployment that does not pass a value uses a secret known to whoever reads the template",
                position(ctx, parameter.path + (key,)),
                fix=_remove_default_fix(ctx, parameter.name, parameter.path + (key,)),
            )


def _remove_default_fix(ctx: LintContext, name: str, default: JsonPath) -> Fix | None:
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import remove_member

    edits = remove_member(ctx.document, default)
    return Fix(f"Remove the default value of the secure parameter '{name}'", edits, "unsafe") if edits else None


# --- ARM004 -----------------------------------------------------------------------------------------

_PASSWORD_LIKE = re.compile(r"password|passwd|pwd|secret|accountkey", re.IGNORECASE)
# Names that mention a secret but hold something else: its name, version, URI, ID, permissions, ...
_NOT_A_SECRET = re.compile(
    r"name|version|ur[il]|path|permission|policy|type|mode|expir|rotation|length|(?:id|ids)$",
    re.IGNORECASE,
)


_NAME = attrgetter("name")  # of a ParameterDeclaration


@lru_cache(maxsize=8192)  # parameter names repeat across templates (`location`, `tags`, ...)
def _names_a_secret(name: str) -> bool:
    """A parameter name that says it holds a secret, not one that describes a secret."""
    return bool(_PASSWORD_LIKE.search(name)) and not _NOT_A_SECRET.search(name)


class PasswordParameterNotSecure(Rule):
    """
    ## What it does
    Reports a `string` parameter whose name says it holds a secret (it contains `password`,
    `passwd`, `pwd`, `secret` or `accountKey`) but that is not `secureString`. As in arm-ttk,
    names that describe a secret rather than hold one are skipped: `...SecretName`,
    `...SecretVersion`, `...SecretUri`/`Url`, `...SecretId`, permissions, policies, types, modes,
    expiry and rotation settings, lengths. A parameter with `allowedValues` is an enumeration, not
    a secret, and is skipped too.

    ## Why is this bad?
    A plain `string` parameter is stored in the deployment history in clear text: anyone with read
    access to the resource group's deployments can read the password. `secureString` values are
    neither logged nor returned.

    ## Example
    ```json
    "adminPassword": { "type": "string" }
    ```

    ## Use instead
    ```json
    "adminPassword": { "type": "securestring" }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (Password-params-must-be-secure)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/data-types#secure-strings-and-objects

    ## Fix safety
    The fix changes a literal `"type": "string"` to `securestring` (`secureString` when the type
    is capitalized). It is unsafe: the rule judges by the name only, the value is no longer shown
    in the deployment history to those who read it there, and a default value then becomes an
    ARM003 finding. A type from `$ref` is not fixed.
    """

    id = "ARM004"
    name = "password-parameter-not-secure"
    severity = "warning"  # judged by the name only: it can be wrong
    summary = "a password-like string parameter that is not secureString"
    remedy = "declare the parameter as securestring"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        parameters = parameter_declarations(ctx.document)
        # The name first, tested in C (`compress`, `map`): it rules out almost every parameter
        # without a look inside.
        for parameter in compress(parameters, map(_names_a_secret, map(_NAME, parameters))):
            name, decl = parameter.name, parameter.decl
            if parameter_type(parameter.scope.template, decl) != "string" or raw_get(decl, "allowedValues") is not None:
                continue
            type_key = raw_key(decl, "type")
            written = decl.get(type_key)
            yield finding(
                self,
                ctx,
                f"the parameter '{name}' looks like a secret but is a plain 'string': "
                "its value is stored in clear text in the deployment history",
                position(ctx, parameter.path + ((type_key,) if type_key in decl else ())),
                fix=_secure_type_fix(ctx, name, parameter.path + (type_key,), written) if isinstance(written, str) else None,
            )


def _secure_type_fix(ctx: LintContext, name: str, type_path: JsonPath, written: str) -> Fix | None:
    """`securestring` for a `string` type, in the file's casing (`String` gives `secureString`)."""
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import replace_value

    secure = "securestring" if written.islower() else "secureString"
    edits = replace_value(ctx.document, type_path, secure)
    return Fix(f"Declare the parameter '{name}' as {secure}", edits, "unsafe") if edits else None


# --- ARM005 -----------------------------------------------------------------------------------------

def _inside_credential(parent: JsonPath) -> bool:
    """Whether a property of the object at `parent` (below `properties`) is inside the value of
    another credential property: the outer one is what is judged."""
    return any(type(key) is str and key.lower() in ADMIN_CREDENTIALS for key in parent)


class AdminCredentialIsLiteral(Rule):
    """
    ## What it does
    Reports a resource property named `adminUsername`, `adminPassword` or
    `administratorLoginPassword` (anywhere in `properties`, e.g. a VM's `osProfile`, or a value
    passed to a nested deployment's parameter of that name) whose value is a literal string, or an
    expression that is just `variables('x')` of a literal variable. Passwords are errors, user
    names warnings.

    ## Why is this bad?
    A literal password is in clear text in the template, its repository and the deployment
    history, and is the same for every environment. A literal user name (`admin`, `azureuser`)
    is the first thing an attacker tries, and cannot differ per environment.

    ## Example
    ```json
    "osProfile": { "computerName": "vm1", "adminUsername": "azureuser", "adminPassword": "P@ssw0rd1234" }
    ```

    ## Use instead
    ```json
    "osProfile": { "computerName": "vm1", "adminUsername": "[parameters('adminUsername')]",
                   "adminPassword": "[parameters('adminPassword')]" }
    ```
    with `adminPassword` a `securestring` parameter.

    ## References
    - https://github.com/Azure/arm-ttk (adminUsername-Should-Not-Be-A-Literal, adminPassword-Should-Not-Be-A-Literal)
    - https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter-rule-admin-username-should-not-be-literal
    """

    id = "ARM005"
    name = "admin-credential-is-literal"
    severity = "error"  # for passwords; a literal user name is reported as a warning
    summary = "an admin user name or password written as a literal"
    remedy = "take the credential from a parameter (a securestring one for passwords)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for declared in declared_properties(ctx.document):
            declaration = declared.declaration
            for parent, key, value in declared.credentials:
                if _inside_credential(parent):
                    continue
                path = declared.path + parent + (key,)
                if isinstance(value, dict) and isinstance(raw_get(value, "value"), str):
                    path, value = path + (raw_key(value, "value"),), raw_get(value, "value")
                if not isinstance(value, str) or not value.strip():
                    continue
                what = ADMIN_CREDENTIALS[key.lower()]
                severity: Severity = "error" if what == "password" else "warning"
                literal_variable = self._literal_variable(declaration.scope, value)
                if is_expression(value) and literal_variable is None:
                    continue
                source = f" (through the literal variable '{literal_variable}')" if literal_variable else ""
                shown = f" '{value}'" if what == "user name" and not literal_variable else ""
                yield finding(
                    self,
                    ctx,
                    f"'{key}' of {display_name(ctx, declaration)} is the literal {what}{shown}{source}: "
                    "it is the same in every environment and readable by anyone who reads the template",
                    position(ctx, path),
                    severity=severity,
                )

    @staticmethod
    def _literal_variable(scope: TemplateScope, value: str) -> str | None:
        """`x` when `value` is exactly `[variables('x')]` and `x` is a literal string."""
        tree = try_parse(value)
        if not isinstance(tree, Call) or tree.namespace is not None or tree.name.lower() != "variables":
            return None
        name = literal_argument(tree)
        variable = raw_get(raw_get(scope.owner.template, "variables"), name) if name else None
        if isinstance(variable, str) and variable.strip() and not is_expression(variable):
            return name
        return None


# --- ARM006 -----------------------------------------------------------------------------------------


# Functions whose result does not reveal their arguments: hashes, lengths and tests.
_NON_REVEALING = frozenset(
    {
        "uniquestring", "guid", "length", "empty", "equals", "contains", "startswith", "endswith", "indexof",
        "lastindexof", "not", "and", "or", "less", "lessorequals", "greater", "greaterorequals",
    }
)


def _revealed_calls(node: Node) -> Iterator[Call]:
    """The built-in calls whose results can end up in the expression's value: not inside the
    arguments of a hash or a test, nor in the condition of an `if()`."""
    if isinstance(node, Call):
        if node.namespace is None:
            yield node
            if node.name.lower() in _NON_REVEALING:
                return
        args = node.args[1:] if node.namespace is None and node.name.lower() == "if" else node.args
        for arg in args:
            yield from _revealed_calls(arg)
    elif isinstance(node, Property):
        yield from _revealed_calls(node.target)
    elif isinstance(node, Index):
        yield from _revealed_calls(node.target)


@lru_cache(maxsize=65536)  # expressions repeat across templates: parse and walk each text once
def _revealed_references(text: str) -> tuple[tuple[str, str, tuple[int, int]], ...]:
    """The revealed calls of an expression that can return a secret, in walk order, as
    `(kind, name, span)`: `("list", function name)` for a `list*()` call, `("parameters", name)`
    and `("variables", name)` for a reference by a literal name."""
    tree = try_parse(text)
    if tree is None:
        return ()
    found: list[tuple[str, str, tuple[int, int]]] = []
    for node in _revealed_calls(tree):
        lowered = node.name.lower()
        if lowered.startswith("list") and len(lowered) > 4:
            found.append(("list", node.name, node.span))
        elif lowered == "parameters" or lowered == "variables":
            name = literal_argument(node)
            if name is not None:
                found.append((lowered, name, node.span))
    return tuple(found)


def _may_name_a_secret(text: str, secure_parameters: bool) -> bool:
    """A cheap textual test that spares parsing most strings: without a `list*()` call, a
    `variables()` reference or (when the template has secure parameters) a `parameters()` one,
    an expression returns no secret."""
    lowered = text.lower()
    return "list" in lowered or "variables" in lowered or (secure_parameters and "parameters" in lowered)


# An output declaration's keys as usually spelled; `copy` is left out: its strings are looked at too.
_USUAL_OUTPUT_KEYS = frozenset({"type", "value", "metadata", "items", "nullable", "$ref"})


class _SecretTracer:
    """Finds what in an expression returns a secret, for the expressions of one template that owns
    its parameters and variables. What a variable holds is worked out once, not again for every
    output that uses it."""

    def __init__(self, owner: TemplateScope, secure: dict[str, str]):
        self.variables = raw_get(owner.template, "variables")
        self.secure = secure  # the owner's secure parameters: lower-case name -> name as declared
        self._in_variable: dict[tuple[str, int], tuple[str, ...]] = {}

    def sources(self, text: str, depth: int = 0) -> Iterator[tuple[str, tuple[int, int]]]:
        """`list*()` calls and secure parameters in `text`, followed through variables, as
        `(description, span in text)`; for a secret inside a variable the span is the
        `variables()` call's."""
        if depth > MAX_VARIABLE_DEPTH or not _may_name_a_secret(text, bool(self.secure)):
            return
        for kind, name, span in _revealed_references(text):
            if kind == "list":
                yield f"{name}()", span
            elif kind == "parameters":
                if name.lower() in self.secure:
                    yield f"the secure parameter '{self.secure[name.lower()]}'", span
            elif name:
                for description in self._variable_sources(name, depth + 1):
                    # Name the variable the output uses; the ones behind it are one click away.
                    yield (f"{description} (through the variable '{name}')" if depth == 0 else description), span

    def _variable_sources(self, name: str, depth: int) -> tuple[str, ...]:
        """The descriptions of the secrets inside the variable `name` whose strings are read at
        `depth` (the depth decides where a long chain of variables is cut off)."""
        key = (name, depth)
        found = self._in_variable.get(key)
        if found is None:
            variable = raw_get(self.variables, name)
            found = self._in_variable[key] = tuple(
                description for _, inner, _ in iter_strings(variable, ()) for description, _ in self.sources(inner, depth)
            )
        return found


class OutputContainsSecret(Rule):
    """
    ## What it does
    Reports an output that returns a secret: its `value` (or `copy.input`) calls a `list*()`
    function (`listKeys()`, `listSecrets()`, `listConnectionStrings()`, ...) or uses a
    `secureString`/`secureObject` parameter, directly or through variables. Outputs declared as
    `securestring` or `secureobject` are not reported: Azure does not return their values. A secret
    that only goes into a hash or a test (`uniqueString()`, `guid()`, `length()`, `empty()`,
    `equals()`, an `if()` condition ...) is not revealed and is not reported.

    ## Why is this bad?
    Output values are stored in the deployment history in clear text: anyone with read access to
    the deployments of the resource group (or subscription) can read the key or password, long
    after the deployment. The message names the function or parameter, never the value.

    ## Example
    ```json
    "outputs": { "storageKey": { "type": "string",
      "value": "[listKeys(resourceId('Microsoft.Storage/storageAccounts', parameters('name')), '2023-05-01').keys[0].value]" } }
    ```

    ## Use instead
    Return the resource ID and let the consumer read the key with its own permissions, or declare
    the output `securestring` (Bicep: `@secure() output`).
    ```json
    "outputs": { "storageAccountId": { "type": "string",
      "value": "[resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]" } }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (Outputs-Must-Not-Contain-Secrets)
    - https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter-rule-outputs-should-not-contain-secrets
    """

    id = "ARM006"
    name = "output-contains-secret"
    severity = "error"  # the secret is readable in the deployment history for good
    summary = "an output that returns a key, a password or another secret"
    remedy = "do not output secrets: return the resource ID, or declare the output securestring"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        secure = secure_parameters(ctx.document)
        tracers: dict[JsonPath, _SecretTracer] = {}  # by owner template: nested ones may share it
        for scope in template_scopes(ctx.document):
            outputs = raw_get(scope.template, "outputs")
            if not isinstance(outputs, dict):
                continue
            owner = scope.owner
            owner_secure = secure.get(owner.path, {})
            for name, decl in outputs.items():
                if type(decl) is not dict:
                    continue
                # Most outputs (16k over the corpus) are a string `value` with keys spelled as
                # usual (a C-level subset test; `copy` is not among them): then that string is all
                # there is to look at, and it is settled before any look at types or paths.
                value = decl.get("value") if decl.keys() <= _USUAL_OUTPUT_KEYS else None
                if type(value) is str and not _may_name_a_secret(value, bool(owner_secure)):
                    continue  # the cheapest test, which rules out most
                tracer = tracers.get(owner.path)
                if tracer is None:
                    tracer = tracers[owner.path] = _SecretTracer(owner, owner_secure)
                if type(value) is str and next(tracer.sources(value), None) is None:
                    continue  # returns no secret
                if parameter_type(scope.template, decl) in SECURE_TYPES:
                    continue
                section = raw_key(scope.template, "outputs")
                for key in ("value", "copy"):
                    spelled = raw_key(decl, key)
                    if spelled not in decl:
                        continue
                    for path, text, is_key in iter_strings(decl[spelled], scope.path + (section, name, spelled)):
                        for description, span in tracer.sources(text):
                            where = position(ctx, path) if is_key else position_in_string(ctx, path, span)
                            yield finding(
                                self,
                                ctx,
                                f"the output '{name}' returns {description}: output values are stored in clear text "
                                "in the deployment history, readable by anyone who can read the deployment",
                                where,
                            )
                            break
