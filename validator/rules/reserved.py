"""Reserved ids: findings the engine itself produces, documented like the rules."""
from __future__ import annotations

from typing import Iterator

from ..findings import Finding
from .base import LintContext, Rule


class _Reserved(Rule):
    """Produced by the lint engine, never by `check()`."""

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        return iter(())


class TemplateNotLoadable(_Reserved):
    """
    ## What it does
    Reports a template or parameter file that cannot be read: not UTF-8, malformed JSON, a
    comment that never ends, a parameter entry with neither `value` nor `reference`.

    ## Why is this bad?
    Azure rejects the deployment before it starts, and nothing else in the file can be checked.

    ## Example
    ```json
    { "resources": [ { "type": "Microsoft.KeyVault/vaults", } }
    ```

    ## Use instead
    Fix the syntax at the line and column given; comments and trailing commas are accepted.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax
    """

    id = "AV000"
    name = "template-not-loadable"
    severity = "error"
    summary = "a template or parameter file that cannot be read"
    remedy = "fix the JSON at the position shown"


class DeploymentRejected(_Reserved):
    """
    ## What it does
    Reports what Azure itself would reject while evaluating the template: an unknown function,
    a wrong argument type, an index out of range, a missing or invalid parameter value, a
    cyclic variable, a copy count over 800, `newGuid()` outside a parameter default.

    ## Why is this bad?
    The deployment fails (`InvalidTemplate`) after the pipeline has already started.

    ## Example
    ```json
    "name": "[substring(parameters('name'), 0, 30)]"
    ```
    with a 10-character name fails: the length is out of range.

    ## Use instead
    Correct the expression or the parameter value named in the message.

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions
    """

    id = "AV001"
    name = "deployment-rejected"
    severity = "error"
    summary = "an expression or parameter value that Azure would reject"
    remedy = "correct the expression or parameter value at the position shown"


class RuleCrashed(_Reserved):
    """
    ## What it does
    Reports that a rule failed with an internal error on this template. The other rules'
    findings are still reported.

    ## Why is this bad?
    The crashed rule did not check the template, so a problem may go unreported.

    ## Example
    `the rule KV001 (keyvault-access-policies-replaced) crashed on this template: ...`

    ## Use instead
    Report the message and the template to the arm-validator maintainers; meanwhile the
    rule can be ignored with `--ignore`.

    ## References
    - the arm-validator issue tracker
    """

    id = "AV999"
    name = "rule-crashed"
    severity = "error"
    summary = "a rule that crashed on this template"
    remedy = "report it to the arm-validator maintainers; the other rules still ran"


LOAD_ERROR = TemplateNotLoadable
DEPLOYMENT_REJECTED = DeploymentRejected
RULE_CRASH = RuleCrashed
RESERVED: tuple[type[Rule], ...] = (TemplateNotLoadable, DeploymentRejected, RuleCrashed)
