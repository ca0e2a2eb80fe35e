"""ARM011, ARM012, ARM017: expression patterns that make a template fragile: conditional
dependencies, variables looked up by a computed name, and API versions picked at deployment time."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from ...expressions.parser import Call, Node, Property
from ...findings import Finding
from ...keys import find_key
from ..base import LintContext, Rule
from ._scan import (
    USUAL_DECLARATION_KEYS,
    builtin_calls,
    declarations,
    display_name,
    finding,
    is_call_to,
    document_index,
    entry_position,
    expression_facts,
    literal_argument,
    try_parse,
    position_in_string,
    walk,
)


@lru_cache(maxsize=65536)  # the same dependencies (`[resourceId(...)]`) repeat across templates
def _choosing_if_span(entry: str) -> tuple[int, int] | None:
    """Where the `if()` that picks the dependency `entry` is in it, if one does (`_choosing_if`)."""
    condition = _choosing_if(try_parse(entry))
    return condition.span if condition is not None else None


def _choosing_if(tree: Node | None) -> Call | None:
    """The `if()` that picks the dependency: the whole expression, or a direct argument of it
    (`resourceId('...', if(...))`). An `if()` deeper down (inside a `range()` for a copy index, as
    Bicep writes) does not choose the resource."""
    if tree is None:
        return None
    candidates = [tree, *(tree.args if isinstance(tree, Call) else ())]
    return next((node for node in candidates if isinstance(node, Call) and is_call_to(node, "if")), None)


class DependsOnConditional(Rule):
    """
    ## What it does
    Reports a `dependsOn` entry whose expression calls `if()`.

    ## Why is this bad?
    Azure already drops a dependency on a resource whose `condition` is false, so the `if()` adds
    nothing but a second copy of the condition that can drift from the resource's own. When it
    picks between two resources, the dependency graph depends on parameter values, which makes the
    deployment order hard to reason about.

    ## Example
    ```json
    "dependsOn": [ "[if(parameters('newVault'), resourceId('Microsoft.KeyVault/vaults', parameters('vaultName')), '')]" ]
    ```

    ## Use instead
    ```json
    "dependsOn": [ "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]" ]
    ```

    ## References
    - https://github.com/Azure/arm-ttk (DependsOn-Must-Not-Be-Conditional)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/conditional-resource-deployment
    """

    id = "ARM011"
    name = "depends-on-conditional"
    severity = "warning"
    summary = "a dependsOn entry that uses if()"
    remedy = "depend on the resource directly: Azure ignores dependencies on resources whose condition is false"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for declaration in declarations(ctx.document):
            key = find_key(declaration.raw, "dependsOn", USUAL_DECLARATION_KEYS)
            depends_on = declaration.raw[key] if key is not None else None
            if not isinstance(depends_on, list):
                continue
            for i, entry in enumerate(depends_on):
                span = _choosing_if_span(entry) if type(entry) is str else None
                if span is None:
                    continue
                yield finding(
                    self,
                    ctx,
                    f"a dependency of {display_name(ctx, declaration)} is chosen with if(): "
                    "depend on the resource itself, Azure drops dependencies on resources that are not deployed",
                    position_in_string(ctx, declaration.path + (key, i), span),
                )


# variables() given something other than a string literal.
_COMPUTED_VARIABLE = re.compile(r"variables\s*\(\s*[^'\s)]")


class VariableNameComputed(Rule):
    """
    ## What it does
    Reports `variables()` called with a computed name (`variables(concat('size', parameters('tier')))`,
    `variables(format(...))`).

    ## Why is this bad?
    Nothing shows which variables the expression can reach, so a renamed or missing variable is only
    found when a deployment with that parameter value fails (`InvalidTemplate`: the variable is not
    found), and linters cannot tell which variables are used.

    ## Example
    ```json
    "variables": { "sizeSmall": "Standard_B2s", "sizeLarge": "Standard_D4s_v5" },
    ...
    "vmSize": "[variables(concat('size', parameters('tier')))]"
    ```

    ## Use instead
    One object variable, indexed by the parameter:
    ```json
    "variables": { "size": { "Small": "Standard_B2s", "Large": "Standard_D4s_v5" } },
    ...
    "vmSize": "[variables('size')[parameters('tier')]]"
    ```

    ## References
    - https://github.com/Azure/arm-ttk (Dynamic-Variable-References-Should-Not-Use-Concat)
    """

    id = "ARM012"
    name = "variable-name-computed"
    severity = "warning"
    summary = "a variable referred to by a computed name"
    remedy = "make one object variable and index it: variables('x')[parameters('y')]"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for entry, call in document_index(ctx.document).calls("variables", mentioning=_COMPUTED_VARIABLE):
            if not call.args or not isinstance(call.args[0], Call):
                continue
            computed = call.args[0]
            suggestion = ""
            if is_call_to(computed, "concat") and len(computed.args) == 2:
                prefix = literal_argument(computed)
                parameter = computed.args[1]
                name = literal_argument(parameter) if isinstance(parameter, Call) and is_call_to(parameter, "parameters") else None
                if prefix is not None and name is not None:
                    suggestion = f": use variables('{prefix}')[parameters('{name}')]"
            where = entry_position(ctx, entry, call.span)
            yield finding(
                self,
                ctx,
                f"variables() is called with a name computed by {computed.name}(){suggestion}",
                where,
            )


# What the property read from providers() is called, in lower-cased text: of the strings that
# call providers() (to build resource IDs, mostly), only the few that mention it are parsed.
_API_VERSIONS = re.compile("apiversions")


class ApiVersionFromProviders(Rule):
    """
    ## What it does
    Reports `providers(...).apiVersions`: an API version picked at deployment time from the
    versions the resource provider offers.

    ## Why is this bad?
    The API version decides which properties a request may carry and what their defaults are. When
    the provider publishes a new version, the same template starts sending its resources with a
    different API, without any change in source: deployments that worked start failing, or
    properties silently get other defaults. `providers()` is also deprecated.

    ## Example
    ```json
    "apiVersion": "[providers('Microsoft.Storage', 'storageAccounts').apiVersions[0]]"
    ```

    ## Use instead
    ```json
    "apiVersion": "2023-05-01"
    ```

    ## References
    - https://github.com/Azure/arm-ttk (providers_apiVersions-Is-Not-Permitted)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#providers
    """

    id = "ARM017"
    name = "api-version-from-providers"
    severity = "warning"
    summary = "an API version picked with providers().apiVersions"
    remedy = "write a literal apiVersion"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        index = document_index(ctx.document)
        entries = {  # one visit per string
            (id(entry.container), entry.key, entry.is_key): entry for entry, _ in index.calls("providers", mentioning=_API_VERSIONS)
        }
        for entry in entries.values():
            tree = expression_facts(entry.text).tree  # type: ignore[union-attr]  # it has calls: it parsed
            for node in walk(tree):
                if not isinstance(node, Property) or node.name.lower() != "apiversions":
                    continue
                if not any(is_call_to(sub, "providers") for sub in builtin_calls(node.target)):
                    continue
                where = entry_position(ctx, entry, node.span)
                yield finding(
                    self,
                    ctx,
                    "the API version is picked at deployment time with providers().apiVersions: "
                    "the template changes API whenever the provider publishes a new version",
                    where,
                )
