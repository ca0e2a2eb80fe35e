"""ARM018: nested deployments that log their request or response content."""
from __future__ import annotations

from typing import Iterator

from ...expressions.parser import is_expression
from ...findings import Finding, Fix
from ...keys import find_key
from ..base import LintContext, Rule, raw_get, raw_key
from ._scan import DEPLOYMENTS, JsonPath, declarations, display_name, finding, position


# The `properties` of a nested deployment, each spelled as usual: an object whose keys are all
# among these has no `debugSetting` unless under this very spelling.
_USUAL_PROPERTIES = frozenset(
    {
        "debugSetting", "expressionEvaluationOptions", "mode", "onErrorDeployment", "parameters", "parametersLink",
        "template", "templateLink", "validationLevel",
    }
)


class DeploymentDebugLogging(Rule):
    """
    ## What it does
    Reports a nested deployment (`Microsoft.Resources/deployments`) whose
    `properties.debugSetting.detailLevel` is set to anything but `none` (`requestContent`,
    `responseContent`, or both). An expression as the level is left alone.

    ## Why is this bad?
    The logged request and response content is kept with the deployment operations, readable by
    anyone with read access to the deployment. It contains the values passed to the deployment
    and returned by the resource providers, so passwords, keys and connection strings end up in
    the log.

    ## Example
    ```json
    "properties": { "mode": "Incremental", "debugSetting": { "detailLevel": "requestContent, responseContent" }, ... }
    ```

    ## Use instead
    Leave `debugSetting` out (or set `"detailLevel": "none"`); turn it on only while debugging,
    without secrets.

    ## References
    - https://github.com/Azure/arm-ttk (Deployment-Resources-Must-Not-Be-Debug)
    - https://learn.microsoft.com/azure/templates/microsoft.resources/deployments#debugsetting

    ## Fix safety
    The fix deletes `debugSetting`; it is safe: the deployment deploys the same resources, and
    only stops keeping their request and response content in its operations.
    """

    id = "ARM018"
    name = "deployment-debug-logging"
    severity = "warning"
    summary = "a nested deployment that logs its request or response content"
    remedy = "remove debugSetting (or set detailLevel to none)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for declaration in declarations(ctx.document):
            if declaration.type_lower != DEPLOYMENTS:
                continue
            raw = declaration.raw
            properties = raw["properties"] if "properties" in raw else raw_get(raw, "properties")
            if type(properties) is not dict:
                continue
            # A third of the corpus's declarations are nested deployments, and none logs: spellings
            # as usual settle it without a case-insensitive search (see `_USUAL_PROPERTIES`).
            key = find_key(properties, "debugSetting", _USUAL_PROPERTIES)
            debug = properties[key] if key is not None else None
            if debug is None:
                continue
            setting = declaration.child_path("properties", "debugSetting")
            level = raw_get(debug, "detailLevel") if isinstance(debug, dict) else debug
            path = setting + (raw_key(debug, "detailLevel"),) if isinstance(debug, dict) else setting
            if not isinstance(level, str) or is_expression(level) or level.strip().lower() in ("", "none"):
                continue
            yield finding(
                self,
                ctx,
                f"the nested deployment {display_name(ctx, declaration)} logs '{level}': values passed to and returned by "
                "it, secrets included, are kept in the deployment operations",
                position(ctx, path),
                fix=_removal_fix(ctx, setting),
            )


def _removal_fix(ctx: LintContext, setting: JsonPath) -> Fix | None:
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import remove_member

    edits = remove_member(ctx.document, setting)
    return Fix("Remove `debugSetting`", edits, "safe") if edits else None
