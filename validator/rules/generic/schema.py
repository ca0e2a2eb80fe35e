"""ARM014, ARM015: the template's `$schema`, and resources' `apiVersion` strings."""
from __future__ import annotations

import datetime
import re
from typing import Iterator

from ...expressions.parser import is_expression
from ...findings import Finding
from ..base import LintContext, Rule, raw_key
from ._scan import declarations, display_name, finding, position, quoted, template_scopes

_BASE = "https://schema.management.azure.com/schemas/"
CURRENT_SCHEMAS = (
    _BASE + "2019-04-01/deploymentTemplate.json#",
    _BASE + "2018-05-01/subscriptionDeploymentTemplate.json#",
    _BASE + "2019-08-01/managementGroupDeploymentTemplate.json#",
    _BASE + "2019-08-01/tenantDeploymentTemplate.json#",
)
OUTDATED_SCHEMA = _BASE + "2015-01-01/deploymentTemplate.json#"


def _normalized(schema: str) -> str:
    """Schemas compare without case and with or without the trailing `#`."""
    return schema.strip().rstrip("#").lower()


class SchemaNotRecognized(Rule):
    """
    ## What it does
    Checks `$schema` of the template and of every inline nested template that has one: it must be
    one of the deployment template schemas, as arm-ttk requires:
    `https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#` (resource
    group), `.../2018-05-01/subscriptionDeploymentTemplate.json#`,
    `.../2019-08-01/managementGroupDeploymentTemplate.json#` or
    `.../2019-08-01/tenantDeploymentTemplate.json#`. Case and the trailing `#` are not
    significant. The older `.../2015-01-01/deploymentTemplate.json#` is still valid and only gets a
    note. A root template without `$schema` is reported as well.

    ## Why is this bad?
    The schema tells editors and tools (the VS Code extension, arm-ttk, this linter) what the file
    is and at which scope it deploys; with a wrong or missing schema the file is not recognised as
    a template, or validated against the wrong scope's rules.

    ## Example
    ```json
    { "$schema": "http://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#" }
    ```

    ## Use instead
    ```json
    { "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#" }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (DeploymentTemplate-Schema-Is-Correct)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax#template-format
    """

    id = "ARM014"
    name = "schema-not-recognized"
    severity = "warning"
    summary = "a template $schema that is not a deployment template schema"
    remedy = "use https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json# (or the subscription, management group or tenant one)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        current = {_normalized(s) for s in CURRENT_SCHEMAS}
        for scope in template_scopes(ctx.document):
            key = raw_key(scope.template, "$schema")
            if key not in scope.template:
                if scope.is_root:
                    yield finding(self, ctx, "the template has no '$schema'", position(ctx, ()))
                continue
            schema = scope.template[key]
            path = scope.path + (key,)
            if not isinstance(schema, str):
                yield finding(self, ctx, "'$schema' must be a string", position(ctx, path))
            elif _normalized(schema) == _normalized(OUTDATED_SCHEMA):
                yield finding(
                    self,
                    ctx,
                    "the 2015-01-01 deployment template schema is valid but outdated: editors validate against the 2019-04-01 one",
                    position(ctx, path),
                    severity="note",
                )
            elif _normalized(schema) not in current:
                yield finding(self, ctx, f"'{quoted(schema)}' is not a deployment template schema", position(ctx, path))


_API_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:-(?:preview|privatepreview|alpha|beta))?", re.IGNORECASE)


class ApiVersionInvalid(Rule):
    """
    ## What it does
    Checks each resource's literal `apiVersion`: it must be a date `YYYY-MM-DD`, optionally
    followed by `-preview`, `-privatepreview`, `-alpha` or `-beta`, and the date must be a real
    date no later than today. Expressions are left alone (see ARM017 for `providers()`).

    ## Why is this bad?
    Azure only accepts API versions the resource provider publishes; anything else fails the
    deployment with `NoRegisteredProviderFound` ("No registered resource provider found for
    location ... and API version ..."). A date in the future is a typo: no provider publishes
    versions ahead of time.

    ## Example
    ```json
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-7-01" }
    ```

    ## Use instead
    ```json
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01" }
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/resource-declaration
    - https://learn.microsoft.com/azure/templates/
    """

    id = "ARM015"
    name = "api-version-invalid"
    severity = "error"  # Azure rejects the resource
    summary = "a malformed apiVersion, or one dated in the future"
    remedy = "use an API version the resource provider publishes (see the template reference)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        today = datetime.date.today()
        for declaration in declarations(ctx.document):
            key = raw_key(declaration.raw, "apiVersion")
            if key not in declaration.raw:
                continue
            version = declaration.raw[key]
            if isinstance(version, str) and is_expression(version):
                continue
            match = _API_VERSION.fullmatch(version.strip()) if isinstance(version, str) else None
            if match is not None:
                try:
                    date: datetime.date | None = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
                except ValueError:
                    date = None
                if date is not None and date <= today:
                    continue  # well-formed and published: nothing to say (nor to locate)
            name = display_name(ctx, declaration)
            where = position(ctx, declaration.path + (key,))
            if match is None:
                yield finding(
                    self,
                    ctx,
                    f"the apiVersion '{quoted(str(version))}' of {name} is not an API version (YYYY-MM-DD, optionally -preview): "
                    "Azure rejects it (NoRegisteredProviderFound)",
                    where,
                )
                continue
            try:
                date = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                yield finding(self, ctx, f"the apiVersion '{version}' of {name} is not a real date: Azure rejects it", where)
                continue
            if date > today:
                yield finding(
                    self,
                    ctx,
                    f"the apiVersion '{version}' of {name} is dated in the future: no provider publishes it yet, Azure rejects it "
                    "(NoRegisteredProviderFound)",
                    where,
                )
