"""ARM template functions: deployment, scope and resource functions.

These read the `Scope` (parameters, variables, copy loops, the deployment context) and ask the
template layer (`Scope.resources`) about resources. What only Azure knows (`list*()`, runtime
properties in `reference()`, `pickZones()`, `providers()`) is Unknown.
"""
from __future__ import annotations

from typing import Any

from ..evaluator import CallContext
from ..parser import Literal
from ..registry import FunctionTable, check_type
from ..values import OpenObject, Unknown, is_int

TABLE = FunctionTable()

ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "AzureCloud": {
        "name": "AzureCloud",
        "gallery": "https://gallery.azure.com/",
        "graph": "https://graph.windows.net/",
        "portal": "https://portal.azure.com",
        "graphAudience": "https://graph.windows.net/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "media": "https://rest.media.azure.net",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "resourceManager": "https://management.azure.com/",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.com/",
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {
            "acrLoginServer": ".azurecr.io",
            "azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "azureDatalakeStoreFileSystem": "azuredatalakestore.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "keyvaultDns": ".vault.azure.net",
            "sqlServerHostname": ".database.windows.net",
            "storage": "core.windows.net",
        },
    },
    "AzureChinaCloud": {
        "name": "AzureChinaCloud",
        "gallery": "https://gallery.chinacloudapi.cn/",
        "graph": "https://graph.chinacloudapi.cn/",
        "portal": "https://portal.azure.cn",
        "graphAudience": "https://graph.chinacloudapi.cn/",
        "activeDirectoryDataLake": "",
        "batch": "https://batch.chinacloudapi.cn/",
        "media": "https://rest.media.chinacloudapi.cn",
        "sqlManagement": "https://management.core.chinacloudapi.cn:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "resourceManager": "https://management.chinacloudapi.cn/",
        "authentication": {
            "loginEndpoint": "https://login.chinacloudapi.cn/",
            "audiences": ["https://management.core.chinacloudapi.cn/", "https://management.chinacloudapi.cn/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {
            "acrLoginServer": ".azurecr.cn",
            "azureFrontDoorEndpointSuffix": "",
            "keyvaultDns": ".vault.azure.cn",
            "sqlServerHostname": ".database.chinacloudapi.cn",
            "storage": "core.chinacloudapi.cn",
        },
    },
    "AzureUSGovernment": {
        "name": "AzureUSGovernment",
        "gallery": "https://gallery.usgovcloudapi.net/",
        "graph": "https://graph.windows.net/",
        "portal": "https://portal.azure.us",
        "graphAudience": "https://graph.windows.net/",
        "activeDirectoryDataLake": "",
        "batch": "https://batch.core.usgovcloudapi.net/",
        "media": "https://rest.media.usgovcloudapi.net",
        "sqlManagement": "https://management.core.usgovcloudapi.net:8443/",
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json",
        "resourceManager": "https://management.usgovcloudapi.net/",
        "authentication": {
            "loginEndpoint": "https://login.microsoftonline.us/",
            "audiences": ["https://management.core.usgovcloudapi.net/", "https://management.usgovcloudapi.net/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {
            "acrLoginServer": ".azurecr.us",
            "azureFrontDoorEndpointSuffix": "azurefd.us",
            "keyvaultDns": ".vault.usgovcloudapi.net",
            "sqlServerHostname": ".database.usgovcloudapi.net",
            "storage": "core.usgovcloudapi.net",
        },
    },
}


# --- deployment functions -------------------------------------------------------------------


@TABLE.add("parameters", 1, unknowns="pass")
def parameters(ctx: CallContext, name: Any) -> Any:
    if isinstance(name, Unknown):
        return name.derive(ctx.text)
    check_type(ctx, 0, name, str)
    return ctx.scope.parameter(name, ctx)


@TABLE.add("variables", 1, unknowns="pass")
def variables(ctx: CallContext, name: Any) -> Any:
    if isinstance(name, Unknown):
        return name.derive(ctx.text)
    check_type(ctx, 0, name, str)
    if ctx.scope.variable is None:
        raise ctx.error("variables() can't be used in a user-defined function or a parameter's default value")
    return ctx.scope.variable(name, ctx)


@TABLE.add("copyIndex", 0, 2)
def copy_index(ctx: CallContext, *args: Any) -> Any:
    loop: str | None = None
    offset = 0
    if len(args) == 2:
        check_type(ctx, 0, args[0], str)
        check_type(ctx, 1, args[1], int)
        loop, offset = args[0], args[1]
    elif len(args) == 1:
        if isinstance(args[0], str):
            loop = args[0]
        elif is_int(args[0]):
            offset = args[0]
        else:
            check_type(ctx, 0, args[0], str, int)
    key = loop.lower() if loop is not None else ctx.scope.current_copy
    if key is None or key not in ctx.scope.copy_indexes:
        where = f"the copy loop '{loop}'" if loop else "a copy loop"
        raise ctx.error(f"copyIndex() can only be used inside {where}", code="InvalidTemplate")
    index = ctx.scope.copy_indexes[key]
    if isinstance(index, Unknown):  # a loop whose count only Azure knows
        return index.derive(ctx.text)
    return index + offset


@TABLE.add("deployment", 0)
def deployment(ctx: CallContext) -> Any:
    context = ctx.scope.deployment
    template = ctx.scope.template or {}
    properties = OpenObject(
        template=OpenObject(
            {k: v for k, v in template.items() if k.lower() in ("$schema", "contentversion", "metadata", "languageversion")}
        ),
        mode="Incremental",
        provisioningState="Accepted",
    )
    result = OpenObject(name=context.deployment_name, properties=properties)
    if context.scope != "resourceGroup":
        result["location"] = context.location
    return result


@TABLE.add("environment", 0)
def environment(ctx: CallContext) -> Any:
    return ENVIRONMENTS.get(ctx.scope.deployment.cloud, ENVIRONMENTS["AzureCloud"])


@TABLE.add("deployer", 0)
def deployer(ctx: CallContext) -> Any:
    return OpenObject(tenantId=ctx.scope.deployment.tenant_id)


@TABLE.add("fail", 1)
def fail(ctx: CallContext, message: Any) -> Any:
    raise ctx.error(f"fail() was called: {message}", code="TemplateFunctionFailed")


# --- scope functions ------------------------------------------------------------------------


@TABLE.add("subscription", 0)
def subscription(ctx: CallContext) -> Any:
    context = ctx.scope.deployment
    if isinstance(context.subscription_id, Unknown):
        return context.subscription_id.derive(ctx.text)
    return OpenObject(
        id=f"/subscriptions/{context.subscription_id}",
        subscriptionId=context.subscription_id,
        tenantId=context.tenant_id,
    )


@TABLE.add("resourceGroup", 0)
def resource_group(ctx: CallContext) -> Any:
    context = ctx.scope.deployment
    if context.scope != "resourceGroup":
        raise ctx.error("resourceGroup() can only be used in a deployment to a resource group", code="InvalidTemplate")
    unknown = _unknown_target(ctx)
    if unknown is not None:
        return unknown
    return OpenObject(
        id=f"/subscriptions/{context.subscription_id}/resourceGroups/{context.resource_group}",
        name=context.resource_group,
        type="Microsoft.Resources/resourceGroups",
        location=context.location,
        properties={"provisioningState": "Succeeded"},
    )


@TABLE.add("tenant", 0)
def tenant(ctx: CallContext) -> Any:
    return OpenObject(tenantId=ctx.scope.deployment.tenant_id)


@TABLE.add("managementGroup", 0, 1)
def management_group(ctx: CallContext, *args: Any) -> Any:
    name = args[0] if args else ctx.scope.deployment.management_group
    if name is None:
        if ctx.scope.deployment.scope != "managementGroup":
            raise ctx.error("managementGroup() can only be used in a deployment to a management group", code="InvalidTemplate")
        return ctx.unknown()  # no --management-group given: only Azure knows which one
    check_type(ctx, 0, name, str)
    return OpenObject(
        id=f"/providers/Microsoft.Management/managementGroups/{name}",
        name=name,
        type="Microsoft.Management/managementGroups",
    )


# --- resource IDs ---------------------------------------------------------------------------


def _unknown_target(ctx: CallContext) -> Unknown | None:
    """The deployment's subscription or resource group, when only Azure knows it (a nested
    deployment whose `resourceGroup` comes from a parameter without value)."""
    context = ctx.scope.deployment
    for value in (context.subscription_id, context.resource_group):
        if isinstance(value, Unknown):
            return value.derive(ctx.text)
    return None


def _type_and_names(ctx: CallContext, args: list[Any], first: int) -> str:
    """`providers/{ns}/{type}/{name}/{childType}/{childName}...` from a type and its names."""
    resource_type, names = args[first], args[first + 1:]
    check_type(ctx, first, resource_type, str)
    segments = resource_type.split("/")
    if len(segments) < 2 or not all(segments):
        raise ctx.error(f"'{resource_type}' is not a valid resource type: it must be 'Namespace/type[/childType...]'", arg=first)
    for offset, name in enumerate(names):
        if not isinstance(name, str):
            if is_int(name):
                continue
            check_type(ctx, first + 1 + offset, name, str)
    # A name may carry several segments (`vault/secret`), as ARM accepts.
    name_segments = [seg for name in names for seg in str(name).split("/")]
    if len(name_segments) != len(segments) - 1:
        raise ctx.error(
            f"the resource type '{resource_type}' needs {len(segments) - 1} name segment(s), but {len(name_segments)} were given",
            code="InvalidTemplate",
        )
    path = [segments[0], segments[1], name_segments[0]]
    for child_type, child_name in zip(segments[2:], name_segments[1:]):
        path += [child_type, child_name]
    return "providers/" + "/".join(path)


def _type_index(args: list[Any]) -> int:
    """ARM finds the resource type as the first argument that contains a '/'."""
    for i, arg in enumerate(args):
        if isinstance(arg, str) and "/" in arg and "." in arg.split("/")[0]:
            return i
    for i, arg in enumerate(args):
        if isinstance(arg, str) and "/" in arg:
            return i
    return 0


@TABLE.add("resourceId", 2, None)
def resource_id(ctx: CallContext, *args: Any) -> Any:
    args_list = list(args)
    index = _type_index(args_list)
    if index > 2:
        raise ctx.error("resourceId() takes at most a subscription id and a resource group name before the resource type")
    context = ctx.scope.deployment
    subscription_id = context.subscription_id
    group: str | None = context.resource_group if context.scope == "resourceGroup" else None
    if index == 2:
        subscription_id, group = args_list[0], args_list[1]
        check_type(ctx, 0, subscription_id, str)
        check_type(ctx, 1, group, str)
    elif index == 1:
        group = args_list[0]
        check_type(ctx, 0, group, str)
    tail = _type_and_names(ctx, args_list, index)
    if isinstance(subscription_id, Unknown) or isinstance(group, Unknown):
        return (subscription_id if isinstance(subscription_id, Unknown) else group).derive(ctx.text)  # type: ignore[union-attr]
    if context.scope in ("managementGroup", "tenant") and index == 0:
        if context.scope == "managementGroup" and context.management_group:
            return f"/providers/Microsoft.Management/managementGroups/{context.management_group}/{tail}"
        return f"/{tail}"
    if group is None:
        return f"/subscriptions/{subscription_id}/{tail}"
    return f"/subscriptions/{subscription_id}/resourceGroups/{group}/{tail}"


@TABLE.add("subscriptionResourceId", 2, None)
def subscription_resource_id(ctx: CallContext, *args: Any) -> Any:
    args_list = list(args)
    index = _type_index(args_list)
    subscription_id = ctx.scope.deployment.subscription_id
    if index == 1:
        check_type(ctx, 0, args_list[0], str)
        subscription_id = args_list[0]
    elif index > 1:
        raise ctx.error("subscriptionResourceId() takes at most a subscription id before the resource type")
    if isinstance(subscription_id, Unknown):
        return subscription_id.derive(ctx.text)
    return f"/subscriptions/{subscription_id}/{_type_and_names(ctx, args_list, index)}"


@TABLE.add("tenantResourceId", 2, None)
def tenant_resource_id(ctx: CallContext, *args: Any) -> Any:
    return "/" + _type_and_names(ctx, list(args), 0)


@TABLE.add("managementGroupResourceId", 2, None)
def management_group_resource_id(ctx: CallContext, *args: Any) -> Any:
    args_list = list(args)
    index = _type_index(args_list)
    group = ctx.scope.deployment.management_group
    if index == 1:
        check_type(ctx, 0, args_list[0], str)
        group = args_list[0]
    elif index > 1:
        raise ctx.error("managementGroupResourceId() takes at most a management group name before the resource type")
    if group is None:
        if ctx.scope.deployment.scope != "managementGroup":
            raise ctx.error("managementGroupResourceId() needs a management group: pass its name or deploy to one")
        return ctx.unknown()  # no --management-group given: only Azure knows which one
    return f"/providers/Microsoft.Management/managementGroups/{group}/{_type_and_names(ctx, args_list, index)}"


@TABLE.add("extensionResourceId", 3, None)
def extension_resource_id(ctx: CallContext, *args: Any) -> Any:
    check_type(ctx, 0, args[0], str)
    return f"{args[0].rstrip('/')}/{_type_and_names(ctx, list(args), 1)}"


# --- resource functions ---------------------------------------------------------------------


@TABLE.add("reference", 1, 3, unknowns="shallow")
def reference(ctx: CallContext, target: Any, api_version: Any = None, full: Any = None) -> Any:
    full_form = isinstance(full, str) and full.lower() == "full"
    if ctx.scope.in_user_function:
        raise ctx.error("reference() can't be used in a user-defined function")
    if ctx.scope.resources is None:
        return ctx.unknown()
    return ctx.scope.resources.reference(ctx, target, api_version, full_form)


@TABLE.add("references", 1, 2)
def references(ctx: CallContext, symbolic_name: Any, full: Any = None) -> Any:
    check_type(ctx, 0, symbolic_name, str)
    if ctx.scope.resources is None:
        return ctx.unknown()
    return ctx.scope.resources.references(ctx, symbolic_name, isinstance(full, str) and full.lower() == "full")


@TABLE.add("resourceInfo", 1)
def resource_info(ctx: CallContext, symbolic_name: Any) -> Any:
    check_type(ctx, 0, symbolic_name, str)
    if ctx.scope.resources is None:
        return ctx.unknown()
    return ctx.scope.resources.resource_info(ctx, symbolic_name)


@TABLE.add("list*", 1, None, unknowns="pass")
def list_any(ctx: CallContext, *args: Any) -> Any:
    """`listKeys()`, `listSecrets()`, `listAccountSas()`, ...: secrets only Azure knows."""
    return ctx.unknown(secret=True)


@TABLE.add("pickZones", 3, 5)
def pick_zones(ctx: CallContext, *args: Any) -> Any:
    return ctx.unknown()


@TABLE.add("providers", 1, 2)
def providers(ctx: CallContext, *args: Any) -> Any:
    return ctx.unknown()


def literal_argument(ctx: CallContext, index: int) -> str | None:
    """The literal string an argument was written as, when it was one."""
    node = ctx.node.args[index] if index < len(ctx.node.args) else None
    return node.value if isinstance(node, Literal) and isinstance(node.value, str) else None
