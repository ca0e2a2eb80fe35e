"""ARM007, ARM008: where resources are deployed: a location written as a literal region, and
resources that need a location but have none."""
from __future__ import annotations

from typing import Iterator

from ...expressions.parser import is_expression
from ...findings import Finding
from ...keys import find_key
from ..base import LintContext, Rule, raw_key
from ._scan import (
    USUAL_DECLARATION_KEYS,
    declarations,
    display_name,
    finding,
    parameter_declarations,
    position,
)


def _is_literal_region(value: object) -> bool:
    """A literal location other than `global` (an expression or `global` is fine)."""
    return isinstance(value, str) and bool(value.strip()) and not is_expression(value) and value.strip().lower() != "global"


class LocationHardcoded(Rule):
    """
    ## What it does
    Reports a resource whose `location` is a literal region (`"westeurope"`) rather than an
    expression; `global` is accepted. Also reports a parameter named `location` whose
    `defaultValue` is a literal region: use `[resourceGroup().location]` (or
    `[deployment().location]` at subscription scope) or `global`.

    ## Why is this bad?
    The template cannot be deployed to another region without editing it, and resources end up
    in a region other than their resource group's without anyone having chosen it. Redeploying a
    changed location over an existing resource fails: Azure does not move resources.

    ## Example
    ```json
    { "type": "Microsoft.Storage/storageAccounts", "name": "[parameters('name')]", "location": "westeurope" }
    ```

    ## Use instead
    ```json
    "parameters": { "location": { "type": "string", "defaultValue": "[resourceGroup().location]" } },
    ...
    { "type": "Microsoft.Storage/storageAccounts", "name": "[parameters('name')]", "location": "[parameters('location')]" }
    ```

    ## References
    - https://github.com/Azure/arm-ttk (Location-Should-Not-Be-Hardcoded)
    - https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter-rule-no-hardcoded-location
    """

    id = "ARM007"
    name = "location-hardcoded"
    severity = "warning"
    summary = "a resource location or location parameter default written as a literal region"
    remedy = "take the location from a 'location' parameter that defaults to [resourceGroup().location]"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for parameter in parameter_declarations(ctx.document):
            name = parameter.name
            if len(name) != 8 or name.lower() != "location":  # the length first: spares 38k lower() a corpus
                continue
            default_key = raw_key(parameter.decl, "defaultValue")
            if default_key not in parameter.decl:
                continue
            default = parameter.decl[default_key]
            if _is_literal_region(default):
                yield finding(
                    self,
                    ctx,
                    f"the parameter '{parameter.name}' defaults to the literal region '{default.strip()}': "
                    "deployments that do not pass a location go there, whatever the resource group's region",
                    position(ctx, parameter.path + (default_key,)),
                )
        for declaration in declarations(ctx.document):
            key = find_key(declaration.raw, "location", USUAL_DECLARATION_KEYS)
            if key is None:
                continue
            location = declaration.raw[key]
            if not _is_literal_region(location) or declaration.existing:
                continue
            yield finding(
                self,
                ctx,
                f"the location of {display_name(ctx, declaration)} is the literal region '{location.strip()}': "
                "the template cannot be deployed to another region without editing it",
                position(ctx, declaration.child_path("location")),
            )


# Top-level types that Azure always deploys to a region: a PUT without `location` is rejected.
LOCATION_REQUIRED = frozenset(
    {
        "microsoft.app/containerapps",
        "microsoft.app/managedenvironments",
        "microsoft.cognitiveservices/accounts",
        "microsoft.compute/disks",
        "microsoft.compute/virtualmachines",
        "microsoft.compute/virtualmachinescalesets",
        "microsoft.containerregistry/registries",
        "microsoft.containerservice/managedclusters",
        "microsoft.documentdb/databaseaccounts",
        "microsoft.insights/components",
        "microsoft.keyvault/vaults",
        "microsoft.machinelearningservices/workspaces",
        "microsoft.managedidentity/userassignedidentities",
        "microsoft.network/applicationgateways",
        "microsoft.network/loadbalancers",
        "microsoft.network/networkinterfaces",
        "microsoft.network/networksecuritygroups",
        "microsoft.network/privateendpoints",
        "microsoft.network/publicipaddresses",
        "microsoft.network/virtualnetworks",
        "microsoft.operationalinsights/workspaces",
        "microsoft.sql/servers",
        "microsoft.storage/storageaccounts",
        "microsoft.web/serverfarms",
        "microsoft.web/sites",
    }
)


class LocationMissing(Rule):
    """
    ## What it does
    Reports a top-level resource of a type that always lives in a region (Key Vaults, storage
    accounts, Log Analytics and ML workspaces, container registries, Application Insights
    components, virtual machines and their disks, NICs, public IPs, virtual networks, NSGs, load
    balancers, App Service plans and sites, ...) declared without `location`. Deliberately
    conservative: child resources, `existing` resources and types not in that list are never
    reported.

    ## Why is this bad?
    Azure rejects the resource: a regional resource cannot be created without a location, and
    the deployment fails after the resources before it were already deployed.

    ## Example
    ```json
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-app",
      "properties": { "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" } } }
    ```

    ## Use instead
    ```json
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-app",
      "location": "[parameters('location')]", "properties": { ... } }
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/resource-location
    - https://github.com/Azure/arm-ttk (Resources-Should-Have-Location)
    """

    id = "ARM008"
    name = "location-missing"
    severity = "error"  # Azure rejects the resource
    summary = "a regional resource declared without a location"
    remedy = "add \"location\": \"[parameters('location')]\" to the resource"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for declaration in declarations(ctx.document):
            if declaration.parent is not None or declaration.type_lower not in LOCATION_REQUIRED:
                continue
            if declaration.existing or find_key(declaration.raw, "location", USUAL_DECLARATION_KEYS) is not None:
                continue
            yield finding(
                self,
                ctx,
                f"{display_name(ctx, declaration)} ({declaration.type}) has no location: Azure rejects a regional resource without one",
                position(ctx, declaration.path),
            )
