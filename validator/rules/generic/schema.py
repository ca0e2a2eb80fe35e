"""ARM014, ARM015: the template's `$schema`, and resources' `apiVersion` strings."""
from __future__ import annotations

import datetime
import re
from functools import lru_cache
from typing import Iterator

from ...expressions.parser import is_expression
from ...findings import Applicability, Finding, Fix
from ..base import LintContext, Rule, raw_key
from ._scan import JsonPath, declarations, display_name, finding, position, quoted, template_scopes

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


_CURRENT = frozenset(_normalized(s) for s in CURRENT_SCHEMAS)
_OUTDATED = _normalized(OUTDATED_SCHEMA)

# A deployment template or parameters schema of any scope, at any date, over http or https.
_KNOWN_FAMILY = re.compile(
    r"(https?)://schema\.management\.azure\.com/schemas/\d{4}-\d{2}-\d{2}/"
    r"(deployment|subscriptionDeployment|managementGroupDeployment|tenantDeployment)(Template|Parameters)\.json#?",
    re.IGNORECASE,
)


def corrected_schema(schema: str) -> tuple[str, Applicability] | None:
    """The deployment template schema `schema` was evidently meant to be, and how sure that is:
    the same schema over http (safe: the same file), or the parameters schema of a scope (unsafe:
    the template schema of that scope, the scope read from a schema that was already wrong once)."""
    match = _KNOWN_FAMILY.fullmatch(schema.strip())
    if match is None:
        return None
    if match.group(3).lower() == "template":
        https = "https" + schema.strip()[len(match.group(1)):]
        valid = _normalized(https) in _CURRENT or _normalized(https) == _OUTDATED
        return (https, "safe") if match.group(1).lower() == "http" and valid else None
    scope_template = f"/{match.group(2).lower()}template.json#"
    return next(s for s in CURRENT_SCHEMAS if s.lower().endswith(scope_template)), "unsafe"


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

    ## Fix safety
    Only a schema that is recognisably the wrong variant of a deployment template schema is fixed.
    A template schema over `http` becomes the same schema over `https`: safe, the schema only
    tells tools what the file is. A deployment *parameters* schema becomes the template schema
    of the same scope: unsafe, since that scope is read from a schema that was already wrong. A
    missing, unknown or outdated schema is not fixed: which scope the template deploys to is a
    decision.
    """

    id = "ARM014"
    name = "schema-not-recognized"
    severity = "warning"
    summary = "a template $schema that is not a deployment template schema"
    remedy = "use https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json# (or the subscription, management group or tenant one)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for scope in template_scopes(ctx.document):
            template = scope.template
            schema = template.get("$schema")
            if schema in CURRENT_SCHEMAS:
                continue  # as nearly every template (5k nested ones in the corpus) writes it
            key = raw_key(template, "$schema")
            if key not in template:
                if scope.is_root:
                    yield finding(self, ctx, "the template has no '$schema'", position(ctx, ()))
                continue
            schema = template[key]
            path = scope.path + (key,)
            if not isinstance(schema, str):
                yield finding(self, ctx, "'$schema' must be a string", position(ctx, path))
            elif _normalized(schema) == _OUTDATED:
                yield finding(
                    self,
                    ctx,
                    "the 2015-01-01 deployment template schema is valid but outdated: editors validate against the 2019-04-01 one",
                    position(ctx, path),
                    severity="note",
                )
            elif _normalized(schema) not in _CURRENT:
                yield finding(self, ctx, f"'{quoted(schema)}' is not a deployment template schema", position(ctx, path), fix=_schema_fix(ctx, path, schema))


def _schema_fix(ctx: LintContext, path: JsonPath, schema: str) -> Fix | None:
    correction = corrected_schema(schema)
    if correction is None:
        return None
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import replace_value

    corrected, applicability = correction
    edits = replace_value(ctx.document, path, corrected)
    return Fix(f"Set `$schema` to {corrected}", edits, applicability) if edits else None


_API_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:-(?:preview|privatepreview|alpha|beta))?", re.IGNORECASE)
_UNPADDED_API_VERSION = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})((?:-(?:preview|privatepreview|alpha|beta))?)", re.IGNORECASE)


@lru_cache(maxsize=4096)  # a few hundred distinct versions, on every resource of every template
def _api_version_date(version: str) -> datetime.date | None:
    """The date of a well-formed API version; None when it is malformed or not a real date."""
    match = _API_VERSION.fullmatch(version.strip())
    if match is None:
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def corrected_api_version(version: str, today: datetime.date) -> str | None:
    """`2023-7-01` -> `2023-07-01`: the month and day padded to two digits, when that makes a
    real date no later than `today`; None when there is no such unambiguous correction."""
    match = _UNPADDED_API_VERSION.fullmatch(version.strip())
    if match is None:
        return None
    year, month, day, suffix = match.groups()
    try:
        date = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return f"{year}-{int(month):02d}-{int(day):02d}{suffix}" if date <= today else None


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

    ## Fix safety
    A version whose month or day lacks its leading zero (`2023-7-01`) is rewritten with it
    (`2023-07-01`) when that is a real date no later than today. It is unsafe: the corrected
    version is well-formed, but only the resource provider knows whether it publishes it. Other
    malformed versions and dates in the future are not fixed.
    """

    id = "ARM015"
    name = "api-version-invalid"
    severity = "error"  # Azure rejects the resource
    summary = "a malformed apiVersion, or one dated in the future"
    remedy = "use an API version the resource provider publishes (see the template reference)"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        today = datetime.date.today()
        for declaration in declarations(ctx.document):
            raw = declaration.raw
            key = "apiVersion" if "apiVersion" in raw else raw_key(raw, "apiVersion")
            if key not in raw:
                continue
            version = raw[key]
            if isinstance(version, str):
                # The (memoized) date first: nearly every version is a literal, well-formed and
                # published (a date never parses from an expression).
                published = _api_version_date(version)
                if published is not None and published <= today:
                    continue  # well-formed and published: nothing to say (nor to locate)
                if is_expression(version):
                    continue
            match = _API_VERSION.fullmatch(version.strip()) if isinstance(version, str) else None
            name = display_name(ctx, declaration)
            where = position(ctx, declaration.path + (key,))
            if match is None:
                corrected = corrected_api_version(version, today) if isinstance(version, str) else None
                yield finding(
                    self,
                    ctx,
                    f"the apiVersion '{quoted(str(version))}' of {name} is not an API version (YYYY-MM-DD, optionally -preview): "
                    "Azure rejects it (NoRegisteredProviderFound)",
                    where,
                    fix=_api_version_fix(ctx, declaration.path + (key,), corrected) if corrected else None,
                )
                continue
            date = _api_version_date(version)
            if date is None:
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


def _api_version_fix(ctx: LintContext, path: JsonPath, corrected: str) -> Fix | None:
    # Imported only when there is something to fix: lint imports stay small.
    from ...fixes.edits import replace_value

    edits = replace_value(ctx.document, path, corrected)
    return Fix(f"Set apiVersion to {corrected}", edits, "unsafe") if edits else None
