"""Expansion of small templates: exact IDs, names, values, `deployed` states and diagnostic positions."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from expand_helpers import (
    PARAMS_SCHEMA,
    RG_PREFIX,
    RG_SCHEMA,
    SUB,
    SUB_SCHEMA,
    errors,
    find,
    template,
    write,
)

from validator.api import expand
from validator.expressions.evaluator import DeploymentContext
from validator.expressions.values import Unknown
from validator.source import SourceError
from validator.template.model import Expansion

Run = Callable[..., Expansion]

VAULT_TYPE = "Microsoft.KeyVault/vaults"
DEPLOYMENTS = "Microsoft.Resources/deployments"


def vault(name: str = "kv1", **extra: Any) -> dict[str, Any]:
    """A minimal Key Vault declaration."""
    decl: dict[str, Any] = {
        "type": VAULT_TYPE,
        "apiVersion": "2023-07-01",
        "name": name,
        "location": "[resourceGroup().location]",
        "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"}, "accessPolicies": []},
    }
    decl.update(extra)
    return decl


def storage(name: str = "st1", **extra: Any) -> dict[str, Any]:
    """A minimal storage account declaration."""
    decl: dict[str, Any] = {
        "type": "Microsoft.Storage/storageAccounts",
        "apiVersion": "2023-01-01",
        "name": name,
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
    }
    decl.update(extra)
    return decl


def nested(name: str, inner_template: dict[str, Any], scope: str | None = "inner", **extra: Any) -> dict[str, Any]:
    """An inline nested deployment."""
    properties: dict[str, Any] = {"mode": "Incremental", "template": inner_template}
    if scope is not None:
        properties["expressionEvaluationOptions"] = {"scope": scope}
    properties.update(extra.pop("properties", {}))
    decl: dict[str, Any] = {"type": DEPLOYMENTS, "apiVersion": "2022-09-01", "name": name, "properties": properties}
    decl.update(extra)
    return decl


def outputs(expansion: Expansion) -> dict[str, Any]:
    """Output name -> evaluated value."""
    return {name: value for name, (_, value) in expansion.outputs.items()}


# --- resource IDs -----------------------------------------------------------------------------------


def test_resource_group_id_uses_the_deployment_context(run: Run) -> None:
    context = DeploymentContext(subscription_id="11111111-2222-3333-4444-555555555555", resource_group="rg-prod", location="northeurope")
    expansion = run(template([vault("kv-prod")]), context=context)
    kv = find(expansion, VAULT_TYPE)
    assert kv.id == "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/kv-prod"
    assert kv.body["location"] == "northeurope"
    assert kv.deployed is True and kv.target == "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-prod"
    assert expansion.diagnostics == []


def test_subscription_scope_template_ids_have_no_resource_group(run: Run) -> None:
    doc = {
        "$schema": SUB_SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "rg-app", "location": "westeurope"},
            {"type": "Microsoft.Authorization/policyAssignments", "apiVersion": "2022-06-01", "name": "deny-public", "properties": {}},
        ],
        "outputs": {"rgId": {"type": "string", "value": "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-app')]"}},
    }
    expansion = run(doc)
    assert find(expansion, "Microsoft.Resources/resourceGroups").id == f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg-app"
    assert find(expansion, "Microsoft.Authorization/policyAssignments").id == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments/deny-public"
    assert outputs(expansion)["rgId"] == f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg-app"
    assert expansion.diagnostics == []


def test_child_resources_are_flattened_with_full_type_and_name(run: Run) -> None:
    secret = {"type": "secrets", "apiVersion": "2023-07-01", "name": "db-password", "dependsOn": ["kv1"], "properties": {"value": "x"}}
    top_level_child = {"type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "kv1/api-key", "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', 'kv1')]"], "properties": {"value": "y"}}
    expansion = run(template([vault("kv1", resources=[secret]), top_level_child]))
    kv_id = f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv1"
    nested_child = find(expansion, "Microsoft.KeyVault/vaults/secrets", "kv1/db-password")
    assert nested_child.id == f"{kv_id}/secrets/db-password"
    assert nested_child.depends_on == [kv_id]
    assert nested_child.json_path == ("resources", 0, "resources", 0)
    assert find(expansion, "Microsoft.KeyVault/vaults/secrets", "kv1/api-key").id == f"{kv_id}/secrets/api-key"
    assert find(expansion, "Microsoft.KeyVault/vaults/secrets", "kv1/api-key").depends_on == [kv_id]
    assert expansion.diagnostics == []


def test_child_name_with_wrong_segment_count_is_reported(run: Run) -> None:
    text = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "only-one-segment", "properties": {} }
  ]
}"""
    expansion = run(text)
    assert errors(expansion) == [("InvalidResourceName", 5, 88)]


def test_extension_resource_ids_follow_their_scope(run: Run) -> None:
    role = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    assignment = {
        "type": "Microsoft.Authorization/roleAssignments",
        "apiVersion": "2022-04-01",
        "name": "[guid('kv1', 'reader')]",
        "scope": "[format('Microsoft.KeyVault/vaults/{0}', 'kv1')]",
        "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', 'kv1')]"],
        "properties": {"roleDefinitionId": f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{role}')]", "principalId": "p"},
    }
    lock = {
        "type": "Microsoft.Authorization/locks",
        "apiVersion": "2020-05-01",
        "name": "no-delete",
        "scope": "[resourceId('Microsoft.KeyVault/vaults', 'kv1')]",
        "properties": {"level": "CanNotDelete"},
    }
    expansion = run(template([vault("kv1"), assignment, lock]))
    kv_id = f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv1"
    ra = find(expansion, "Microsoft.Authorization/roleAssignments")
    assert isinstance(ra.name, str) and len(ra.name) == 36
    assert ra.id == f"{kv_id}/providers/Microsoft.Authorization/roleAssignments/{ra.name}"
    assert ra.target == kv_id
    assert ra.properties["roleDefinitionId"] == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    assert find(expansion, "Microsoft.Authorization/locks").id == f"{kv_id}/providers/Microsoft.Authorization/locks/no-delete"
    assert expansion.diagnostics == []


def test_explicit_resource_group_and_subscription_on_a_resource(run: Run) -> None:
    # Only deployments accept these in ARM; the expander honours them for any resource it reads.
    expansion = run(template([nested("shared", template([vault("kv-shared")]), resourceGroup="rg-shared", subscriptionId="99999999-9999-9999-9999-999999999999")]))
    assert find(expansion, DEPLOYMENTS).id == "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-shared/providers/Microsoft.Resources/deployments/shared"
    assert find(expansion, VAULT_TYPE).id == "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kv-shared"


# --- parameters -------------------------------------------------------------------------------------

PRECEDENCE = template(
    [vault("[parameters('vaultName')]")],
    parameters={
        "vaultName": {"type": "string", "defaultValue": "kv-default"},
        "sku": {"type": "string", "defaultValue": "standard"},
        "retention": {"type": "int", "defaultValue": 7},
    },
    outputs={
        "sku": {"type": "string", "value": "[parameters('sku')]"},
        "retention": {"type": "int", "value": "[parameters('retention')]"},
    },
)


def test_parameter_default_is_used_without_inputs(run: Run) -> None:
    expansion = run(PRECEDENCE)
    assert find(expansion, VAULT_TYPE).name == "kv-default"
    assert expansion.parameters["vaultName"].origin == "default"
    assert outputs(expansion) == {"sku": "standard", "retention": 7}


def test_parameter_file_wins_over_default_and_command_line_wins_over_both(run: Run) -> None:
    parameters = {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {"vaultName": {"value": "kv-file"}, "sku": {"value": "premium"}, "retention": {"value": "30"}}}
    expansion = run(PRECEDENCE, parameters, params=["vaultName=kv-cli"])
    assert find(expansion, VAULT_TYPE).name == "kv-cli"
    assert expansion.parameters["vaultName"].origin == "command line"
    assert expansion.parameters["sku"].origin == "parameter file"
    # A string "30" from a parameter file is converted for an int parameter, as ARM does.
    assert outputs(expansion) == {"sku": "premium", "retention": 30}
    assert expansion.diagnostics == []


def test_parameter_names_are_case_insensitive(run: Run) -> None:
    expansion = run(PRECEDENCE, params={"VAULTNAME": "kv-upper"})
    assert find(expansion, VAULT_TYPE).name == "kv-upper"


def test_command_line_number_for_a_string_parameter_stays_a_string(run: Run) -> None:
    # The Azure CLI converts NAME=VALUE by the declared type: `sku=123` is the string '123'.
    expansion = run(PRECEDENCE, params=["sku=123", "retention=14"])
    assert outputs(expansion) == {"sku": "123", "retention": 14}
    assert expansion.diagnostics == []


VALIDATION = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "sku": { "type": "string", "allowedValues": ["standard", "premium"], "defaultValue": "basic" },
    "count": { "type": "int", "minValue": 1, "maxValue": 5, "defaultValue": 9 },
    "low": { "type": "int", "minValue": 1, "defaultValue": 0 },
    "prefix": { "type": "string", "minLength": 3, "maxLength": 5, "defaultValue": "ab" },
    "suffix": { "type": "string", "maxLength": 2, "defaultValue": "abc" },
    "tags": { "type": "object", "defaultValue": "not-an-object" },
    "zones": { "type": "array", "allowedValues": ["1", "2", "3"], "defaultValue": ["1", "4"] },
    "required": { "type": "string" }
  },
  "resources": []
}"""


def test_each_parameter_check_reports_at_the_default_value(run: Run) -> None:
    expansion = run(VALIDATION)
    found = [(d.code, d.line, d.column, d.message) for d in expansion.diagnostics]
    assert found == [
        ("InvalidParameter", 5, 90, "the value 'basic' of parameter 'sku' is not one of the allowed values: 'standard', 'premium'"),
        ("InvalidParameter", 6, 77, "the value of parameter 'count' must be at most 5, not 9"),
        ("InvalidParameter", 7, 60, "the value of parameter 'low' must be at least 1, not 0"),
        ("InvalidParameter", 8, 83, "the length of parameter 'prefix' must be at least 3, not 2"),
        ("InvalidParameter", 9, 67, "the length of parameter 'suffix' must be at most 2, not 3"),
        ("InvalidParameter", 10, 49, "the value of parameter 'tags' must be of type 'object', not string"),
        ("InvalidParameter", 11, 83, "the value '4' of parameter 'zones' is not one of the allowed values: '1', '2', '3'"),
        (
            "MissingParameter",
            12,
            17,
            "the template parameter 'required' has no value: pass it with --param required=VALUE or in a parameter file",
        ),
    ]
    assert all(d.file.endswith("main.json") and d.severity == "error" for d in expansion.diagnostics)


def test_fill_missing_gives_required_parameters_an_unknown(run: Run) -> None:
    expansion = run(template([], parameters={"required": {"type": "string"}}, outputs={"o": {"type": "string", "value": "[parameters('required')]"}}), fill_missing=True)
    assert expansion.diagnostics == []
    assert outputs(expansion)["o"] == Unknown("parameters('required')")


def test_parameter_file_value_errors_point_into_the_parameter_file(run: Run) -> None:
    parameters = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "parameters": {
    "sku": { "value": "basic" },
    "count": { "value": true },
    "extra": { "value": 1 }
  }
}"""
    doc = template([], parameters={"sku": {"type": "string", "allowedValues": ["standard"]}, "count": {"type": "int"}})
    expansion = run(doc, parameters)
    found = [(d.file.rsplit("/", 1)[-1], d.line, d.column, d.message) for d in expansion.diagnostics]
    assert found == [
        ("main.parameters.json", 4, 23, "the value 'basic' of parameter 'sku' is not one of the allowed values: 'standard' (from the parameter file)"),
        ("main.parameters.json", 5, 25, "the value of parameter 'count' must be of type 'int', not boolean (from the parameter file)"),
        ("main.parameters.json", 6, 25, "the parameter 'extra' from the parameter file is not declared in the template: Azure rejects the deployment"),
    ]


def test_command_line_value_errors_point_at_the_declaration(run: Run) -> None:
    text = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "count": { "type": "int", "maxValue": 3 }
  },
  "resources": []
}"""
    expansion = run(text, params=["count=4"])
    assert [(d.line, d.column, d.message) for d in expansion.diagnostics] == [
        (5, 14, "the value of parameter 'count' must be at most 3, not 4 (from the command line)")
    ]


def test_parameter_default_can_use_other_parameters_but_not_itself(run: Run) -> None:
    doc = template(
        [],
        parameters={
            "workload": {"type": "string", "defaultValue": "churn"},
            "vaultName": {"type": "string", "defaultValue": "[format('kv-{0}', parameters('workload'))]"},
            "loop": {"type": "string", "defaultValue": "[parameters('loop')]"},
        },
        outputs={"name": {"type": "string", "value": "[parameters('vaultName')]"}},
    )
    expansion = run(doc)
    assert outputs(expansion)["name"] == "kv-churn"
    assert [d.code for d in expansion.diagnostics] == ["CircularReference"]


def test_utcnow_in_a_default_is_an_unknown_nondeterministic_value(run: Run) -> None:
    doc = template(
        [storage("st1", tags={"created": "[parameters('now')]"})],
        parameters={"now": {"type": "string", "defaultValue": "[utcNow('u')]"}},
        outputs={"now": {"type": "string", "value": "[parameters('now')]"}},
    )
    expansion = run(doc)
    assert expansion.diagnostics == []
    now = outputs(expansion)["now"]
    assert isinstance(now, Unknown) and now.nondeterministic
    assert now.expression == "utcNow('u')"
    assert expansion.to_json()["resources"][0]["tags"] == {"created": {"$unknown": "utcNow('u')", "nondeterministic": True}}


def test_newguid_outside_a_default_is_reported_where_it_is_called(run: Run) -> None:
    text = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
      "name": "st1", "tags": { "id": "[concat('x-', newGuid())]" } }
  ]
}"""
    expansion = run(text)
    assert [(d.code, d.line, d.column) for d in expansion.diagnostics] == [("InvalidFunctionLocation", 6, 53)]  # at newGuid itself
    assert expansion.diagnostics[0].message == "newGuid() can only be used in a parameter's defaultValue: Azure rejects it here"
    tag = find(expansion, "Microsoft.Storage/storageAccounts").body["tags"]["id"]
    assert isinstance(tag, Unknown) and tag.nondeterministic


# --- variables --------------------------------------------------------------------------------------


def test_variables_see_parameters_and_other_variables(run: Run) -> None:
    doc = template(
        [vault("[variables('vaultName')]")],
        parameters={"env": {"type": "string", "defaultValue": "prod"}},
        variables={"prefix": "[format('kv-{0}', parameters('env'))]", "vaultName": "[concat(variables('prefix'), '-001')]", "obj": {"a": "[variables('prefix')]"}},
        outputs={"obj": {"type": "object", "value": "[variables('obj')]"}},
    )
    expansion = run(doc)
    assert find(expansion, VAULT_TYPE).name == "kv-prod-001"
    assert outputs(expansion)["obj"] == {"a": "kv-prod"}


def test_variable_copy_with_named_copy_index(run: Run) -> None:
    doc = template(
        [],
        variables={
            "copy": [
                {"name": "subnets", "count": 3, "input": {"name": "[format('snet-{0}', copyIndex('subnets', 1))]", "prefix": "[format('10.0.{0}.0/24', copyIndex('subnets'))]"}},
                {"name": "none", "count": 0, "input": "[copyIndex('none')]"},
            ]
        },
        outputs={"subnets": {"type": "array", "value": "[variables('subnets')]"}, "none": {"type": "array", "value": "[variables('none')]"}},
    )
    expansion = run(doc)
    assert expansion.diagnostics == []
    assert outputs(expansion) == {
        "subnets": [
            {"name": "snet-1", "prefix": "10.0.0.0/24"},
            {"name": "snet-2", "prefix": "10.0.1.0/24"},
            {"name": "snet-3", "prefix": "10.0.2.0/24"},
        ],
        "none": [],
    }


def test_cyclic_variables_are_reported_without_hanging(run: Run) -> None:
    text = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "variables": {
    "a": "[variables('b')]",
    "b": "[concat('x', variables('a'))]"
  },
  "resources": [
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "[variables('a')]" },
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-ok" }
  ]
}"""
    expansion = run(text)
    codes = {(d.code, d.line) for d in expansion.diagnostics}
    assert ("CircularReference", 6) in codes
    assert all(d.line in (5, 6, 9) for d in expansion.diagnostics)
    assert find(expansion, VAULT_TYPE).id == f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-ok"
    assert isinstance(find(expansion, "Microsoft.Storage/storageAccounts").name, Unknown)


# --- copy loops -------------------------------------------------------------------------------------


def test_resource_copy_loop_of_three(run: Run) -> None:
    loop = storage("[format('st{0}', copyIndex(1))]", copy={"name": "accounts", "count": 3})
    after = vault("kv1", dependsOn=["accounts"])
    expansion = run(template([loop, after]))
    accounts = [r for r in expansion.resources if r.type == "Microsoft.Storage/storageAccounts"]
    assert [r.name for r in accounts] == ["st1", "st2", "st3"]
    assert [r.copy_index for r in accounts] == [0, 1, 2]
    assert find(expansion, VAULT_TYPE).depends_on == [f"{RG_PREFIX}/Microsoft.Storage/storageAccounts/st{i}" for i in (1, 2, 3)]
    assert expansion.diagnostics == []


def test_resource_copy_loop_of_zero_makes_no_resources_and_dependencies_on_it_vanish(run: Run) -> None:
    loop = storage("[format('st{0}', copyIndex())]", copy={"name": "accounts", "count": 0})
    expansion = run(template([loop, vault("kv1", dependsOn=["accounts"])]))
    assert [r.type for r in expansion.resources] == [VAULT_TYPE]
    assert find(expansion, VAULT_TYPE).depends_on == []
    assert expansion.diagnostics == []


def test_copy_count_over_800_is_reported_at_the_count(run: Run) -> None:
    text = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
      "name": "[format('st{0}', copyIndex())]",
      "copy": { "name": "many", "count": 801 }
    },
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-after" }
  ]
}"""
    expansion = run(text)
    assert [(d.code, d.line, d.column) for d in expansion.diagnostics] == [("CopyCountOutOfRange", 8, 42)]
    assert "801" in expansion.diagnostics[0].message and "800" in expansion.diagnostics[0].message
    assert find(expansion, VAULT_TYPE).name == "kv-after"


def test_copy_count_of_exactly_800_is_accepted(run: Run) -> None:
    expansion = run(template([storage("[format('st{0}', copyIndex())]", copy={"name": "many", "count": 800})]))
    assert len(expansion.resources) == 800 and expansion.resources[-1].name == "st799"
    assert expansion.diagnostics == []


def test_copy_count_that_is_unknown_gives_one_unknown_instance(run: Run) -> None:
    doc = template([storage("[format('st{0}', copyIndex())]", copy={"name": "many", "count": "[length(reference('/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/v', '2023-04-01').subnets)]"})])
    expansion = run(doc)
    assert expansion.diagnostics == []
    [only] = expansion.resources
    assert isinstance(only.name, Unknown) and isinstance(only.id, Unknown)


def test_property_copy_with_named_copy_index(run: Run) -> None:
    vm = {
        "type": "Microsoft.Compute/virtualMachines",
        "apiVersion": "2023-03-01",
        "name": "vm1",
        "properties": {
            "storageProfile": {
                "copy": [{"name": "dataDisks", "count": 2, "input": {"lun": "[copyIndex('dataDisks')]", "name": "[format('disk{0}', copyIndex('dataDisks', 1))]", "createOption": "Empty"}}]
            }
        },
    }
    expansion = run(template([vm]))
    assert find(expansion, "Microsoft.Compute/virtualMachines").properties == {
        "storageProfile": {
            "dataDisks": [
                {"lun": 0, "name": "disk1", "createOption": "Empty"},
                {"lun": 1, "name": "disk2", "createOption": "Empty"},
            ]
        }
    }
    assert expansion.diagnostics == []


def test_property_copy_inside_a_resource_copy_loop_sees_both_indexes(run: Run) -> None:
    decl = storage(
        "[format('st{0}', copyIndex())]",
        copy={"name": "accounts", "count": 2},
        properties={"copy": [{"name": "rules", "count": 2, "input": "[format('{0}-{1}', copyIndex('accounts'), copyIndex('rules'))]"}]},
    )
    expansion = run(template([decl]))
    assert [r.properties for r in expansion.resources] == [{"rules": ["0-0", "0-1"]}, {"rules": ["1-0", "1-1"]}]


# --- conditions ---------------------------------------------------------------------------------------


def test_conditions_true_false_and_unknown(run: Run) -> None:
    doc = template(
        [
            vault("kv-new", condition="[equals(parameters('option'), 'new')]"),
            vault("kv-old", condition="[equals(parameters('option'), 'existing')]"),
            vault("kv-maybe", condition="[equals(reference('/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/v', '2023-04-01').provisioningState, 'Succeeded')]"),
        ],
        parameters={"option": {"type": "string", "defaultValue": "new", "allowedValues": ["new", "existing"]}},
    )
    expansion = run(doc)
    assert find(expansion, VAULT_TYPE, "kv-new").deployed is True
    assert find(expansion, VAULT_TYPE, "kv-old").deployed is False
    maybe = find(expansion, VAULT_TYPE, "kv-maybe")
    assert isinstance(maybe.deployed, Unknown)
    assert [r["deployed"] for r in expansion.to_json()["resources"]] == [True, False, "unknown"]
    assert expansion.diagnostics == []


def test_a_false_condition_silences_errors_inside_the_resource(run: Run) -> None:
    doc = template([vault("kv1", condition=False, properties={"x": "[div(1, 0)]"}), vault("kv2", properties={"x": "[div(4, 2)]"})])
    expansion = run(doc)
    assert expansion.diagnostics == []
    assert find(expansion, VAULT_TYPE, "kv2").properties == {"x": 2}


def test_children_of_a_resource_with_a_false_condition_are_not_deployed(run: Run) -> None:
    secret = {"type": "secrets", "apiVersion": "2023-07-01", "name": "s1", "properties": {}}
    expansion = run(template([vault("kv1", condition="[equals(1, 2)]", resources=[secret])]))
    assert find(expansion, "Microsoft.KeyVault/vaults/secrets").deployed is False


# --- dependsOn ------------------------------------------------------------------------------------


def test_depends_on_by_name_type_name_and_id_resolve_to_ids(run: Run) -> None:
    doc = template(
        [
            vault("kv1"),
            storage("st1", dependsOn=["kv1"]),
            storage("st2", dependsOn=["Microsoft.KeyVault/vaults/kv1", "[resourceId('Microsoft.Storage/storageAccounts', 'st1')]"]),
            storage("st3", dependsOn=["/subscriptions/elsewhere/resourceGroups/x/providers/Microsoft.Web/sites/app"]),
        ]
    )
    expansion = run(doc)
    kv_id = f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv1"
    assert find(expansion, "Microsoft.Storage/storageAccounts", "st1").depends_on == [kv_id]
    assert find(expansion, "Microsoft.Storage/storageAccounts", "st2").depends_on == [kv_id, f"{RG_PREFIX}/Microsoft.Storage/storageAccounts/st1"]
    assert find(expansion, "Microsoft.Storage/storageAccounts", "st3").depends_on == ["/subscriptions/elsewhere/resourceGroups/x/providers/Microsoft.Web/sites/app"]
    assert expansion.diagnostics == []


def test_depends_on_a_resource_not_in_the_template_is_reported(run: Run) -> None:
    text = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st1",
      "dependsOn": [ "kv-missing" ] }
  ]
}"""
    expansion = run(text)
    assert [(d.code, d.line, d.column) for d in expansion.diagnostics] == [("UnknownDependency", 6, 22)]


# --- languageVersion 2.0 ----------------------------------------------------------------------------

V2: dict[str, Any] = {
    "$schema": RG_SCHEMA,
    "languageVersion": "2.0",
    "contentVersion": "1.0.0.0",
    "parameters": {"names": {"type": "array", "defaultValue": ["raw", "curated"]}},
    "resources": {
        "logs": {
            "existing": True,
            "type": "Microsoft.OperationalInsights/workspaces",
            "apiVersion": "2023-09-01",
            "name": "log-shared",
            "resourceGroup": "rg-monitoring",
        },
        "vault": vault("kv-v2"),
        "account": storage("stv2"),
        "containers": {
            "copy": {"name": "containers", "count": "[length(parameters('names'))]"},
            "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
            "apiVersion": "2023-01-01",
            "name": "[format('{0}/default/{1}', 'stv2', parameters('names')[copyIndex()])]",
            "dependsOn": ["account"],
        },
        "app": {
            "type": "Microsoft.Web/sites",
            "apiVersion": "2023-01-01",
            "name": "app-v2",
            "dependsOn": ["vault", "containers", "logs"],
            "properties": {
                "vaultUri": "[reference('vault').vaultUri]",
                "vaultId": "[resourceInfo('vault').id]",
                "vaultIdFull": "[reference('vault', '2023-07-01', 'full').id]",
                "logsId": "[resourceId('rg-monitoring', 'Microsoft.OperationalInsights/workspaces', 'log-shared')]",
                "second": "[reference('containers[1]', '2023-01-01', 'full').name]",
            },
        },
    },
    "outputs": {"vaultId": {"type": "string", "value": "[resourceInfo('vault').id]"}},
}


def test_language_version_2_symbolic_names(run: Run) -> None:
    expansion = run(V2)
    assert expansion.diagnostics == []
    kv_id = f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-v2"
    logs_id = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/log-shared"
    containers = [f"{RG_PREFIX}/Microsoft.Storage/storageAccounts/stv2/blobServices/default/containers/{n}" for n in ("raw", "curated")]
    app = find(expansion, "Microsoft.Web/sites")
    assert app.symbolic_name == "app"
    assert app.depends_on == [kv_id, *containers, logs_id]
    assert app.properties["vaultId"] == kv_id and app.properties["vaultIdFull"] == kv_id
    assert app.properties["vaultUri"] == Unknown("reference('vault').vaultUri")
    assert app.properties["logsId"] == logs_id
    assert app.properties["second"] == "stv2/default/curated"
    assert [r.id for r in expansion.resources if r.symbolic_name == "containers"] == containers
    assert outputs(expansion)["vaultId"] == kv_id


def test_existing_resources_are_not_deployed(run: Run) -> None:
    expansion = run(V2)
    logs = find(expansion, "Microsoft.OperationalInsights/workspaces")
    assert logs.existing is True and logs.deployed is False
    assert logs.id == f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/log-shared"
    as_json = next(r for r in expansion.to_json()["resources"] if r.get("symbolicName") == "logs")
    assert as_json["deployed"] is False and as_json["existing"] is True


def test_existing_resource_properties_are_unknown(run: Run) -> None:
    doc = dict(V2, outputs={"customerId": {"type": "string", "value": "[reference('logs').customerId]"}})
    expansion = run(doc)
    assert outputs(expansion)["customerId"] == Unknown("reference('logs').customerId")


def test_symbolic_extension_scope(run: Run) -> None:
    doc = dict(V2)
    doc["resources"] = dict(V2["resources"], lock={"type": "Microsoft.Authorization/locks", "apiVersion": "2020-05-01", "name": "keep", "scope": "vault", "properties": {"level": "CanNotDelete"}})
    expansion = run(doc)
    assert find(expansion, "Microsoft.Authorization/locks").id == f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-v2/providers/Microsoft.Authorization/locks/keep"


# --- nested deployments ---------------------------------------------------------------------------

INNER_VAULT = template(
    [vault("[parameters('vaultName')]", properties={"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "[parameters('sku')]"}, "accessPolicies": []})],
    parameters={"vaultName": {"type": "string"}, "sku": {"type": "string", "defaultValue": "standard"}},
    outputs={
        "vaultId": {"type": "string", "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"},
        "sku": {"type": "string", "value": "[parameters('sku')]"},
        "group": {"type": "string", "value": "[resourceGroup().name]"},
    },
)


def inner_scope_parent(**deployment_extra: Any) -> dict[str, Any]:
    """A parent that passes parameters to an inner-scope deployment and reads its outputs back."""
    return template(
        [
            nested(
                "vaultDeployment",
                INNER_VAULT,
                properties={"parameters": {"vaultName": {"value": "[parameters('vaultName')]"}, "sku": {"value": None}}},
                **deployment_extra,
            ),
            {
                "type": "Microsoft.MachineLearningServices/workspaces",
                "apiVersion": "2024-04-01",
                "name": "mlw",
                "dependsOn": ["vaultDeployment"],
                "properties": {
                    "keyVault": "[reference('vaultDeployment').outputs.vaultId.value]",
                    "keyVaultById": "[reference(resourceId('Microsoft.Resources/deployments', 'vaultDeployment'), '2022-09-01').outputs.vaultId.value]",
                },
            },
        ],
        parameters={"vaultName": {"type": "string", "defaultValue": "kv-nested"}},
        outputs={
            "sku": {"type": "string", "value": "[reference('vaultDeployment').outputs.sku.value]"},
            "group": {"type": "string", "value": "[reference('vaultDeployment').outputs.group.value]"},
        },
    )


def test_inner_scope_parameters_are_passed_and_outputs_reach_the_parent(run: Run) -> None:
    expansion = run(inner_scope_parent())
    assert expansion.diagnostics == []
    kv_id = f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-nested"
    kv = find(expansion, VAULT_TYPE)
    assert kv.id == kv_id and kv.deployment == "vaultDeployment"
    # A parameter passed as null takes the nested template's default.
    assert kv.properties["sku"]["name"] == "standard"
    workspace = find(expansion, "Microsoft.MachineLearningServices/workspaces")
    assert workspace.properties == {"keyVault": kv_id, "keyVaultById": kv_id}
    assert workspace.depends_on == [f"{RG_PREFIX}/Microsoft.Resources/deployments/vaultDeployment"]
    assert outputs(expansion) == {"sku": "standard", "group": "rg"}


def test_nested_deployment_into_another_resource_group(run: Run) -> None:
    expansion = run(inner_scope_parent(resourceGroup="rg-secrets"))
    assert expansion.diagnostics == []
    kv_id = f"/subscriptions/{SUB}/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-nested"
    assert find(expansion, VAULT_TYPE).id == kv_id
    assert find(expansion, DEPLOYMENTS).id == f"/subscriptions/{SUB}/resourceGroups/rg-secrets/providers/Microsoft.Resources/deployments/vaultDeployment"
    workspace = find(expansion, "Microsoft.MachineLearningServices/workspaces")
    assert workspace.id == f"{RG_PREFIX}/Microsoft.MachineLearningServices/workspaces/mlw"
    assert workspace.properties["keyVault"] == kv_id
    assert outputs(expansion)["group"] == "rg-secrets"


def test_nested_deployment_into_another_subscription(run: Run) -> None:
    other = "99999999-9999-9999-9999-999999999999"
    expansion = run(inner_scope_parent(subscriptionId=other, resourceGroup="rg-x"))
    assert find(expansion, VAULT_TYPE).id == f"/subscriptions/{other}/resourceGroups/rg-x/providers/Microsoft.KeyVault/vaults/kv-nested"


def test_outer_scope_sees_the_parents_parameters_and_variables(run: Run) -> None:
    inner_template = template(
        [vault("[variables('vaultName')]", tags={"env": "[parameters('env')]"})],
        outputs={"name": {"type": "string", "value": "[variables('vaultName')]"}},
    )
    doc = template(
        [nested("outerDeployment", inner_template, scope="outer")],
        parameters={"env": {"type": "string", "defaultValue": "prod"}},
        variables={"vaultName": "[format('kv-{0}', parameters('env'))]"},
        outputs={"fromNested": {"type": "string", "value": "[reference('outerDeployment').outputs.name.value]"}},
    )
    expansion = run(doc)
    assert expansion.diagnostics == []
    kv = find(expansion, VAULT_TYPE)
    assert kv.name == "kv-prod" and kv.body["tags"] == {"env": "prod"}
    assert outputs(expansion) == {"fromNested": "kv-prod"}


def test_outer_scope_without_options_is_the_default(run: Run) -> None:
    inner_template = template([vault("[variables('vaultName')]")])
    expansion = run(template([nested("d", inner_template, scope=None)], variables={"vaultName": "kv-outer"}))
    assert find(expansion, VAULT_TYPE).name == "kv-outer"


def test_inner_scope_does_not_see_the_parents_variables(run: Run) -> None:
    inner_template = template([vault("[variables('vaultName')]")])
    expansion = run(template([nested("d", inner_template, scope="inner")], variables={"vaultName": "kv-outer"}))
    assert [d.code for d in expansion.diagnostics] == ["InvalidTemplate"]
    assert "vaultName" in expansion.diagnostics[0].message


def test_absurdly_deep_nesting_is_reported_not_crashed(run: Run) -> None:
    innermost: dict[str, Any] = template([vault("kv-deep")])
    for level in range(40):
        innermost = template([nested(f"level{level}", innermost)])
    expansion = run(innermost)
    assert [d.code for d in expansion.diagnostics] == ["NestingTooDeep"]
    assert expansion.diagnostics[0].line > 0
    assert not any(r.type == VAULT_TYPE for r in expansion.resources)


def test_nested_deployment_with_false_condition_does_not_validate_its_parameters(run: Run) -> None:
    inner_template = template([], parameters={"name": {"type": "string", "minLength": 5}})
    doc = template(
        [nested("registry", inner_template, condition="[not(empty(parameters('registryName')))]", properties={"parameters": {"name": {"value": "[parameters('registryName')]"}}})],
        parameters={"registryName": {"type": "string", "defaultValue": ""}},
    )
    assert run(doc).diagnostics == []
    assert [d.code for d in run(doc, params=["registryName=abc"]).diagnostics] == ["InvalidParameter"]


def test_nested_deployment_with_false_condition_deploys_nothing(run: Run) -> None:
    expansion = run(template([nested("d", template([vault("kv-off", properties={"x": "[div(1, 0)]"})]), condition=False)]))
    assert find(expansion, VAULT_TYPE).deployed is False
    assert expansion.diagnostics == []


def test_reference_to_a_deployment_declared_later_and_in_a_copy_loop(run: Run) -> None:
    inner_template = template(
        [vault("[parameters('vaultName')]")],
        parameters={"vaultName": {"type": "string"}},
        outputs={"id": {"type": "string", "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"}, "name": {"type": "string", "value": "[deployment().name]"}},
    )
    consumer = storage("st1", properties={"first": "[reference('d0').outputs.id.value]", "second": "[reference(format('d{0}', 1)).outputs.id.value]"})
    loop = nested("[format('d{0}', copyIndex())]", inner_template, copy={"name": "vaults", "count": 2}, properties={"parameters": {"vaultName": {"value": "[format('kv{0}', copyIndex())]"}}})
    expansion = run(template([consumer, loop], outputs={"name": {"type": "string", "value": "[reference('d1').outputs.name.value]"}}))
    assert expansion.diagnostics == []
    assert find(expansion, "Microsoft.Storage/storageAccounts").properties == {
        "first": f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv0",
        "second": f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv1",
    }
    assert outputs(expansion) == {"name": "d1"}  # deployment().name inside is the nested deployment's name
    assert {(r.name, r.deployment) for r in expansion.resources if r.type == VAULT_TYPE} == {("kv0", "d0"), ("kv1", "d1")}


def test_reference_to_a_template_resource_knows_its_id_but_not_its_runtime_state(run: Run) -> None:
    consumer = storage("st1", properties={"uri": "[reference('kv1').vaultUri]", "id": "[reference('kv1', '2023-07-01', 'full').id]"})
    expansion = run(template([vault("kv1"), consumer]))
    assert find(expansion, "Microsoft.Storage/storageAccounts").properties == {
        "uri": Unknown("reference('kv1').vaultUri"),
        "id": f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv1",
    }


def test_language_version_2_module_outputs_reach_the_parent(run: Run) -> None:
    inner_template = template([vault("[parameters('vaultName')]")], parameters={"vaultName": {"type": "string"}}, outputs={"id": {"type": "string", "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"}})
    doc = {
        "$schema": RG_SCHEMA,
        "languageVersion": "2.0",
        "contentVersion": "1.0.0.0",
        "resources": {
            "app": storage("st1", properties={"kv": "[reference('mod').outputs.id.value]"}, dependsOn=["mod"]),
            "mod": nested("vaultModule", inner_template, properties={"parameters": {"vaultName": {"value": "kv-mod"}}}),
        },
    }
    expansion = run(doc)
    app = find(expansion, "Microsoft.Storage/storageAccounts")
    assert app.properties == {"kv": f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-mod"}
    assert app.depends_on == [f"{RG_PREFIX}/Microsoft.Resources/deployments/vaultModule"]


def test_another_resource_groups_location_is_unknown(run: Run) -> None:
    inner_template = template([], outputs={"location": {"type": "string", "value": "[resourceGroup().location]"}})
    doc = template(
        [nested("here", inner_template, resourceGroup="rg"), nested("there", inner_template, resourceGroup="rg-other")],
        outputs={"here": {"type": "string", "value": "[reference('here').outputs.location.value]"}, "there": {"type": "string", "value": "[reference('there').outputs.location.value]"}},
    )
    expansion = run(doc)
    assert outputs(expansion)["here"] == "westeurope"
    assert isinstance(outputs(expansion)["there"], Unknown)


def test_subscription_template_deploys_into_a_resource_group_it_creates(run: Run) -> None:
    doc = {
        "$schema": SUB_SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "rg-app", "location": "westeurope"},
            nested("intoRg", INNER_VAULT, resourceGroup="rg-app", dependsOn=["[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-app')]"], properties={"parameters": {"vaultName": {"value": "kv-sub"}}}),
            nested("atSub", {"$schema": SUB_SCHEMA, "contentVersion": "1.0.0.0", "resources": [], "outputs": {"where": {"type": "string", "value": "[deployment().location]"}}}, location="northeurope"),
        ],
        "outputs": {"id": {"type": "string", "value": "[reference('intoRg').outputs.vaultId.value]"}, "where": {"type": "string", "value": "[reference('atSub').outputs.where.value]"}},
    }
    expansion = run(doc)
    assert expansion.diagnostics == []
    kv_id = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-sub"
    assert find(expansion, VAULT_TYPE).id == kv_id
    assert find(expansion, DEPLOYMENTS, "intoRg").id == f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Resources/deployments/intoRg"
    assert find(expansion, DEPLOYMENTS, "intoRg").depends_on == [f"/subscriptions/{SUB}/providers/Microsoft.Resources/resourceGroups/rg-app"]
    assert find(expansion, DEPLOYMENTS, "atSub").id == f"/subscriptions/{SUB}/providers/Microsoft.Resources/deployments/atSub"
    assert outputs(expansion) == {"id": kv_id, "where": "northeurope"}


def test_management_group_and_tenant_scope_ids(run: Run) -> None:
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": "2021-06-01", "name": "pd", "properties": {}}],
    }
    expansion = run(doc, context=DeploymentContext(management_group="mg-platform"))
    assert find(expansion, "Microsoft.Authorization/policyDefinitions").id == "/providers/Microsoft.Management/managementGroups/mg-platform/providers/Microsoft.Authorization/policyDefinitions/pd"
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.Management/managementGroups", "apiVersion": "2021-04-01", "name": "mg-new", "properties": {}}],
    }
    assert find(run(doc), "Microsoft.Management/managementGroups").id == "/providers/Microsoft.Management/managementGroups/mg-new"


def test_nested_deployment_with_unknown_condition_makes_its_resources_unknown(run: Run) -> None:
    condition = "[equals(reference('/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/v', '2023-04-01').provisioningState, 'Succeeded')]"
    expansion = run(template([nested("d", template([vault("kv1")]), condition=condition)]))
    assert [r["deployed"] for r in expansion.to_json()["resources"]] == ["unknown", "unknown"]


def test_error_in_a_nested_deployments_resource_group_is_reported_once(run: Run) -> None:
    expansion = run(template([nested("d", template([vault("kv1")]), resourceGroup="[div(1, 0)]")]))
    assert [d.code for d in expansion.diagnostics] == ["InvalidTemplateFunction"]
    assert isinstance(find(expansion, VAULT_TYPE).id, Unknown)


def test_output_copy_and_condition(run: Run) -> None:
    doc = template(
        [],
        outputs={
            "names": {"type": "array", "copy": {"count": 3, "input": "[format('n{0}', copyIndex())]"}},
            "skipped": {"type": "string", "condition": False, "value": "[div(1, 0)]"},
        },
    )
    expansion = run(doc)
    assert expansion.to_json()["outputs"] == {"names": {"type": "array", "value": ["n0", "n1", "n2"]}}
    assert expansion.diagnostics == []


# --- linked templates -------------------------------------------------------------------------------


def linked_parent() -> dict[str, Any]:
    return template(
        [
            {
                "type": DEPLOYMENTS,
                "apiVersion": "2022-09-01",
                "name": "linked",
                "properties": {
                    "mode": "Incremental",
                    "templateLink": {"relativePath": "modules/vault.json"},
                    "parameters": {"vaultName": {"value": "kv-linked"}},
                },
            }
        ],
        outputs={"vaultId": {"type": "string", "value": "[reference('linked').outputs.vaultId.value]"}},
    )


def test_linked_template_by_relative_path_is_read_from_disk(run: Run, tmp_path: Any) -> None:
    write(tmp_path, "modules/vault.json", INNER_VAULT)
    expansion = run(linked_parent())
    assert expansion.diagnostics == []
    kv = find(expansion, VAULT_TYPE)
    assert kv.id == f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-linked"
    assert kv.document.path.endswith("modules/vault.json") and kv.json_path == ("resources", 0)
    assert outputs(expansion) == {"vaultId": kv.id}
    assert expansion.to_json()["resources"][1]["source"]["file"].endswith("modules/vault.json")


def test_linked_template_missing_from_disk_is_a_note_and_its_outputs_are_unknown(run: Run) -> None:
    expansion = run(linked_parent())
    assert [(d.severity, d.code) for d in expansion.diagnostics] == [("note", "LinkedTemplateNotResolved")]
    assert "modules/vault.json" in expansion.diagnostics[0].message
    assert (expansion.diagnostics[0].line, expansion.diagnostics[0].column) == (17, 25)  # the templateLink object
    assert isinstance(outputs(expansion)["vaultId"], Unknown)
    assert not expansion.has_errors


def test_linked_template_by_uri_is_unknown(run: Run) -> None:
    doc = linked_parent()
    doc["resources"][0]["properties"]["templateLink"] = {"uri": "https://example.com/vault.json"}
    expansion = run(doc)
    assert [d.code for d in expansion.diagnostics] == ["LinkedTemplateNotResolved"]
    assert isinstance(outputs(expansion)["vaultId"], Unknown)


# --- bad input --------------------------------------------------------------------------------------

BAD_EXPRESSIONS = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st1",
      "properties": { "a": "[div(10, 0)]" } },
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st2",
      "properties": { "b": "[noSuchFunction(1)]" } },
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st3",
      "properties": { "c": "[add('one', 1)]" } },
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st4",
      "properties": { "d": "[createArray(1, 2)[5]]" } },
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st5",
      "properties": { "e": "[concat('a', 'b')]" } }
  ]
}"""


def test_expression_errors_are_located_and_do_not_stop_other_resources(run: Run) -> None:
    expansion = run(BAD_EXPRESSIONS)
    # Each points into the expression: the zero divisor, the unknown name, the bad argument, the indexed call.
    assert [(d.code, d.line, d.column, d.message) for d in expansion.diagnostics] == [
        ("InvalidTemplateFunction", 6, 38, "division by zero: the second argument of 'div' can't be 0"),
        ("InvalidTemplateFunction", 8, 30, "the template function 'noSuchFunction' is not valid: there is no such function in ARM templates"),
        ("InvalidTemplateFunction", 10, 34, "the argument 1 of 'add' must be an integer, not string"),
        ("InvalidTemplate", 12, 30, "the language expression index '5' is out of bounds: the array has 2 elements"),
    ]
    assert len(expansion.resources) == 5
    assert find(expansion, "Microsoft.Storage/storageAccounts", "st5").properties == {"e": "ab"}
    assert isinstance(find(expansion, "Microsoft.Storage/storageAccounts", "st1").properties["a"], Unknown)


def test_malformed_json_raises_a_located_source_error(tmp_path: Any) -> None:
    path = write(tmp_path, "broken.json", '{\n  "$schema": "x",\n  "resources": [\n    { "name": }\n  ]\n}')
    with pytest.raises(SourceError) as caught:
        expand(path)
    assert (caught.value.line, caught.value.column) == (4, 15)
    assert caught.value.path == path


@pytest.mark.parametrize("depth", [600, 900])
def test_deeply_nested_json_is_a_located_diagnostic(run: Run, depth: int) -> None:
    doc = template([storage("st1", properties={"deep": "DEEP"}), vault("kv-ok")])
    # Built as text: json.dumps itself cannot write such nesting.
    expansion = run(json.dumps(doc, indent=1).replace('"DEEP"', "[" * depth + '"[concat(1)]"' + "]" * depth))
    assert [(d.code, d.line) for d in expansion.diagnostics] == [("NestingTooDeep", 15)]
    assert expansion.diagnostics[0].json_path[:4] == ("resources", 0, "properties", "deep")
    assert find(expansion, VAULT_TYPE).name == "kv-ok"
    json.dumps(expansion.to_json())  # what is printed is shallow enough to print


def test_json_too_deep_to_load_is_a_source_error(tmp_path: Any) -> None:
    text = json.dumps(template([storage("st1", properties={"deep": "DEEP"})])).replace('"DEEP"', "[" * 5000 + "1" + "]" * 5000)
    with pytest.raises(SourceError) as caught:
        expand(write(tmp_path, "deep.json", text))
    assert caught.value.line >= 1 and "deep" in caught.value.message


def test_absurdly_nested_expression_is_a_located_diagnostic(run: Run) -> None:
    deep_expression = "[" + "concat(" * 3000 + "'x'" + ")" * 3000 + "]"
    expansion = run(template([storage("st1", properties={"expr": deep_expression}), vault("kv-ok")]))
    assert [(d.code, d.line, d.column) for d in expansion.diagnostics] == [("ExpressionError", 15, 726)]  # at the call past the limit
    assert "nested more than 100 levels" in expansion.diagnostics[0].message
    assert find(expansion, VAULT_TYPE).name == "kv-ok"


def test_template_that_is_not_an_object_is_reported(run: Run, tmp_path: Any) -> None:
    with pytest.raises(SourceError):
        expand(write(tmp_path, "array.json", "[1, 2]"))


# --- secrets ----------------------------------------------------------------------------------------

SECRET = "Sup3r-S3cret-Passw0rd!"
SECRET_OBJECT_VALUE = "hunter2-object-secret"


def secure_template() -> dict[str, Any]:
    inner_template = template(
        [storage("[parameters('name')]", tags={"pw": "[parameters('password')]"})],
        parameters={"password": {"type": "securestring"}, "name": {"type": "string"}},
        outputs={"echo": {"type": "string", "value": "[parameters('password')]"}},
    )
    return template(
        [
            {
                "type": "Microsoft.Compute/virtualMachines",
                "apiVersion": "2023-03-01",
                "name": "vm1",
                "properties": {
                    "osProfile": {"adminPassword": "[parameters('adminPassword')]", "custom": "[concat('pw=', parameters('adminPassword'))]"},
                    "settings": "[parameters('settings')]",
                    "kv": "[parameters('fromVault')]",
                    "keys": "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st1'), '2023-01-01').keys[0].value]",
                },
            },
            nested("secretNested", inner_template, properties={"parameters": {"password": {"value": "[parameters('adminPassword')]"}, "name": {"value": "st-inner"}}}),
        ],
        parameters={
            "adminPassword": {"type": "securestring", "minLength": 8},
            "settings": {"type": "secureObject"},
            "fromVault": {"type": "securestring"},
        },
        outputs={
            "password": {"type": "string", "value": "[parameters('adminPassword')]"},
            "length": {"type": "int", "value": "[length(parameters('adminPassword'))]"},
            "nestedEcho": {"type": "string", "value": "[reference('secretNested').outputs.echo.value]"},
            "settings": {"type": "object", "value": "[parameters('settings')]"},
            "keys": {"type": "object", "value": "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st1'), '2023-01-01')]"},
        },
    )


def secure_parameter_file() -> dict[str, Any]:
    return {
        "$schema": PARAMS_SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": {
            "adminPassword": {"value": SECRET},
            "settings": {"value": {"token": SECRET_OBJECT_VALUE}},
            "fromVault": {"reference": {"keyVault": {"id": "/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/kv"}, "secretName": "vm-password"}},
        },
    }


def test_secure_values_never_appear_in_the_output(run: Run) -> None:
    expansion = run(secure_template(), secure_parameter_file())
    assert expansion.diagnostics == []
    printed = json.dumps(expansion.to_json())
    assert SECRET not in printed and SECRET_OBJECT_VALUE not in printed
    assert "Sup3r" not in printed and "hunter2" not in printed
    for parameter in expansion.parameters.values():
        assert SECRET not in repr(parameter.value)
    assert all(isinstance(value, Unknown) and value.secret for name, value in outputs(expansion).items() if name != "length")


def test_secure_values_from_the_command_line_never_appear_in_diagnostics(run: Run) -> None:
    doc = template([], parameters={"adminPassword": {"type": "securestring", "allowedValues": ["other"], "minLength": 30}})
    expansion = run(doc, params=[f"adminPassword={SECRET}"])
    printed = json.dumps(expansion.to_json())
    assert expansion.has_errors
    assert SECRET not in printed


def test_key_vault_reference_parameters_are_secret_unknowns(run: Run) -> None:
    doc = template(
        [storage("st1", tags={"pw": "[parameters('fromVault')]"})],
        parameters={"fromVault": {"type": "securestring"}},
    )
    expansion = run(doc, secure_parameter_file() | {"parameters": {"fromVault": secure_parameter_file()["parameters"]["fromVault"]}})
    assert expansion.diagnostics == []
    tag = expansion.to_json()["resources"][0]["tags"]["pw"]
    assert tag == {"$unknown": "parameters('fromVault')", "secret": True}
    assert expansion.parameters["fromVault"].origin == "parameter file"


def test_literal_value_for_a_nested_secure_parameter_is_not_printed(run: Run) -> None:
    inner_template = template([], parameters={"pw": {"type": "securestring"}}, outputs={"o": {"type": "string", "value": "[parameters('pw')]"}})
    expansion = run(template([nested("s", inner_template, properties={"parameters": {"pw": {"value": SECRET}}})]))
    assert SECRET not in json.dumps(expansion.to_json())
    assert find(expansion, DEPLOYMENTS).properties["parameters"]["pw"]["value"] == Unknown("parameters('pw')", secret=True)


def test_list_functions_are_secret_unknowns(run: Run) -> None:
    expansion = run(secure_template(), secure_parameter_file())
    keys = find(expansion, "Microsoft.Compute/virtualMachines").properties["keys"]
    assert isinstance(keys, Unknown) and keys.secret
