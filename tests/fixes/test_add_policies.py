"""The add-policies fix for KV001 (`--strategy add-policies`): the move into an `add` child, the
conditional creation with it, and the proof (validator/fixes/policies_proof.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from validator.cli import main
from validator.config import Config
from validator.fixes.engine import FixRequest, fix_template
from validator.fixes.policies_proof import prove_add_policies
from validator.source import parse_document

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "templates")
KV001_ONLY = Config(select=["KV001"])
POLICY = """{
            "tenantId": "[subscription().tenantId]",
            "objectId": "[parameters('appId')]", // the scoring app
            "permissions": { "secrets": ["get", "list"] }
          }"""


def request(text: str, path: str = "inline.json") -> FixRequest:
    return FixRequest(template=path, text=text, config=KV001_ONLY, fill_missing=True, strategy="add-policies")


def template(vault: str, others: str = "", parameters: str = "", language: str = "") -> str:
    return f"""{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",{language}
  "contentVersion": "1.0.0.0",
  "parameters": {{
    "vaultName": {{ "type": "string", "defaultValue": "kv-one" }},
    "appId": {{ "type": "string", "defaultValue": "11111111-2222-3333-4444-555555555555" }}{parameters}
  }},
  "resources": [
{vault}{others}
  ]
}}
"""


def vault(policies: str = f"[\n          {POLICY}\n        ]", head: str = "", name: str = "[parameters('vaultName')]",
          api: str = "2023-07-01") -> str:
    return f"""    {{{head}
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "{api}",
      "name": "{name}",
      "location": "westeurope",
      "properties": {{
        "tenantId": "[subscription().tenantId]",
        "sku": {{ "family": "A", "name": "standard" }},
        // Required on an access-policy vault.
        "accessPolicies": {policies},
        "enableSoftDelete": true
      }}
    }}"""


def fixed_and_proven(text: str) -> str:
    req = request(text)
    outcome = fix_template(req)
    proof = prove_add_policies(req, outcome.template_text)
    assert proof.failures == []
    assert proof.options == ["keyVaultOption"]
    return outcome.template_text


def test_policies_move_into_an_add_child_after_the_vault_and_the_vault_becomes_conditional() -> None:
    text = template(vault())
    outcome = fix_template(request(text))
    assert [f.title for f in outcome.applied] == [
        "Move the access policies of the vault 'kv-one' into a vaults/accessPolicies child named 'add'",
        "Deploy the vault 'kv-one' only when keyVaultOption is 'new'",
    ]
    fixed = outcome.template_text
    assert """        // Required on an access-policy vault.
        "accessPolicies": [],
        "enableSoftDelete": true
      }
    },
    {
      "type": "Microsoft.KeyVault/vaults/accessPolicies",
      "apiVersion": "2023-07-01",
      "name": "[format('{0}/{1}', parameters('vaultName'), 'add')]",
      "dependsOn": [
        "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"
      ],
      "properties": {
        "accessPolicies": [
          {
            "tenantId": "[subscription().tenantId]",
            "objectId": "[parameters('appId')]", // the scoring app
            "permissions": { "secrets": ["get", "list"] }
          }
        ]
      }
    }
  ]""" in fixed
    value = parse_document(fixed).value
    assert value["resources"][0]["condition"] == "[equals(parameters('keyVaultOption'), 'new')]"
    # The child deploys to this resource group, so an existing vault must be here too: no group parameter.
    assert "keyVaultResourceGroupName" not in value["parameters"]
    assert prove_add_policies(request(text), fixed).failures == []
    # Outside the edited spans every line is kept: only a comma moved (the list's end is the child's
    # last member now) and one was added (after the last parameter).
    assert [line for line in text.splitlines() if line not in fixed.splitlines()] == [
        '    "appId": { "type": "string", "defaultValue": "11111111-2222-3333-4444-555555555555" }', "        ],"]


def test_the_ml_workspace_sample_with_policies_is_fixed_and_proven() -> None:
    text = Path(ROOT, "ml-workspace-risky", "azuredeploy.json").read_text(encoding="utf-8")
    text = text.replace('"accessPolicies": [],', f'"accessPolicies": [\n          {POLICY.replace("appId", "workspaceName")}\n        ],')
    fixed = fixed_and_proven(text)
    value = parse_document(fixed).value
    # The workspace's link stays in this group: the vault now has a child that deploys here.
    assert value["resources"][-1]["properties"]["keyVault"] == "[resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName'))]"


def test_an_empty_list_only_gets_the_condition() -> None:
    path = os.path.join(ROOT, "ml-workspace-risky", "azuredeploy.json")
    text = Path(path).read_text(encoding="utf-8")
    add_policies = fix_template(request(text, path))
    conditional = fix_template(FixRequest(template=path, text=text, config=KV001_ONLY, fill_missing=True))
    assert add_policies.template_text == conditional.template_text != text
    assert prove_add_policies(request(text, path), add_policies.template_text).failures == []


def test_an_expression_list_moves_as_written_with_an_empty_guard() -> None:
    text = template(vault(policies='"[variables(\'policies\')]"')).replace(
        '  "resources"', f'  "variables": {{\n    "policies": [\n          {POLICY}\n    ]\n  }},\n  "resources"')
    fixed = fixed_and_proven(text)
    value = parse_document(fixed).value
    assert value["resources"][1]["properties"] == {"accessPolicies": "[variables('policies')]"}
    assert value["resources"][1]["condition"] == "[not(empty(variables('policies')))]"
    assert value["resources"][0]["properties"]["accessPolicies"] == []


def test_language_version_2_gets_a_fresh_symbolic_name_and_a_symbolic_dependency() -> None:
    resources = vault().replace("    {", '    "vault": {', 1)
    other = ',\n    "vaultAccessPolicies": { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-05-01", "name": "stone", "location": "westeurope", "sku": { "name": "Standard_LRS" }, "kind": "StorageV2" }'
    text = template(resources, other, language='\n  "languageVersion": "2.0",').replace('"resources": [', '"resources": {').replace("  ]\n}", "  },\n  \"outputs\": { \"uri\": { \"type\": \"string\", \"value\": \"[reference('vault').vaultUri]\" } }\n}")
    fixed = fixed_and_proven(text)
    value = parse_document(fixed).value
    assert list(value["resources"]) == ["vault", "vaultAccessPolicies2", "vaultAccessPolicies", "vaultExisting"]
    assert value["resources"]["vaultAccessPolicies2"]["dependsOn"] == ["vault"]
    assert value["resources"]["vault"]["properties"]["accessPolicies"] == []


def test_a_copy_loop_gets_a_twin_loop_on_the_child() -> None:
    text = template(vault(head='\n      "copy": { "name": "vaults", "count": 2 },', name="[format('kv-{0}', copyIndex())]"))
    fixed = fixed_and_proven(text)
    child = parse_document(fixed).value["resources"][1]
    assert child["copy"] == {"name": "vaultsAccessPolicies", "count": 2}
    assert child["name"] == "[format('{0}/{1}', format('kv-{0}', copyIndex()), 'add')]"
    assert child["dependsOn"] == ["vaults"]


def test_a_copy_loop_that_names_its_index_is_refused_whole() -> None:
    text = template(vault(head='\n      "copy": { "name": "vaults", "count": 2 },', name="[format('kv-{0}', copyIndex('vaults'))]"))
    outcome = fix_template(request(text))
    assert outcome.template_text == text
    assert [why for _, why in outcome.unfixable] == [
        "the vault's name or policies use copyIndex('<loop>'): the child's loop has another name; move them by hand"
    ] * 2


def test_the_vaults_own_condition_goes_to_the_child_without_the_option_test() -> None:
    text = template(vault(head="\n      \"condition\": \"[parameters('deployVault')]\","),
                    parameters=',\n    "deployVault": { "type": "bool", "defaultValue": true }')
    fixed = fixed_and_proven(text)
    value = parse_document(fixed).value
    assert value["resources"][0]["condition"] == "[and(parameters('deployVault'), equals(parameters('keyVaultOption'), 'new'))]"
    assert value["resources"][1]["condition"] == "[parameters('deployVault')]"


ADD_CHILD = """,
    {{
      "type": "Microsoft.KeyVault/vaults/accessPolicies",
      "apiVersion": "2023-07-01",
      "name": "[concat(parameters('vaultName'), '/add')]",{depends}
      "properties": {{
        "accessPolicies": [
          {{ "tenantId": "[subscription().tenantId]", "objectId": "{principal}", "permissions": {{ "keys": ["get"] }} }}
        ]
      }}
    }}"""
DEPENDS = """
      "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"],"""


def test_an_existing_add_child_gets_the_policies_appended() -> None:
    text = template(vault(), ADD_CHILD.format(depends=DEPENDS, principal="99999999-0000-0000-0000-000000000000"))
    outcome = fix_template(request(text))
    assert outcome.applied[0].title == "Move the access policies of the vault 'kv-one' into its `add` child 'kv-one/add'"
    fixed = outcome.template_text
    assert """          { "tenantId": "[subscription().tenantId]", "objectId": "99999999-0000-0000-0000-000000000000", "permissions": { "keys": ["get"] } },
          {
            "tenantId": "[subscription().tenantId]",
            "objectId": "[parameters('appId')]", // the scoring app
            "permissions": { "secrets": ["get", "list"] }
          }
        ]""" in fixed
    assert len(parse_document(fixed).value["resources"]) == 2
    assert prove_add_policies(request(text), fixed).failures == []


@pytest.mark.parametrize("depends, principal, reason", [
    (DEPENDS, "[parameters('appId')]", "both lists name the principal"),
    ("", "99999999-0000-0000-0000-000000000000", "it does not depend on the vault"),
])
def test_an_existing_add_child_that_cannot_take_the_policies_is_refused(depends: str, principal: str, reason: str) -> None:
    text = template(vault(), ADD_CHILD.format(depends=depends, principal=principal))
    outcome = fix_template(request(text))
    assert outcome.template_text == text and outcome.applied == []
    (finding, why), = outcome.unfixable
    assert finding.rule_id == "KV001" and why.startswith("the template already has an `add` child of this vault ('kv-one/add')")
    assert reason in why


def test_an_api_version_without_the_child_type_is_refused() -> None:
    outcome = fix_template(request(template(vault(api="2015-06-01"))))
    assert [why for _, why in outcome.unfixable] == [
        "api-version 2015-06-01 has no vaults/accessPolicies child: move the vault to 2016-10-01 or later first"
    ]


def test_a_vault_in_an_inner_scope_nested_template_gets_its_child_there() -> None:
    path = os.path.join(ROOT, "nested-deployment", "azuredeploy.json")
    text = Path(path).read_text(encoding="utf-8")
    assert text.count('"accessPolicies": []') == 1
    text = text.replace('"accessPolicies": []', '"accessPolicies": [{ "tenantId": "[parameters(\'tenantId\')]", "objectId": "00000000-0000-0000-0000-0000000000aa", "permissions": { "secrets": ["get"] } }]')
    req = request(text, path)
    outcome = fix_template(req)
    assert prove_add_policies(req, outcome.template_text).failures == []
    nested = parse_document(outcome.template_text).value["resources"][0]["properties"]
    assert [r["type"] for r in nested["template"]["resources"]][:2] == ["Microsoft.KeyVault/vaults", "Microsoft.KeyVault/vaults/accessPolicies"]
    assert nested["parameters"]["keyVaultOption"] == {"value": "[parameters('keyVaultOption')]"}


def test_crlf_and_tabs_are_kept() -> None:
    text = template(vault()).replace("  ", "\t").replace("\n", "\r\n")
    fixed = fixed_and_proven(text)
    assert "\n" not in fixed.replace("\r\n", "") and "  " not in fixed
    assert '\r\n\t\t{\r\n\t\t\t"type": "Microsoft.KeyVault/vaults/accessPolicies",\r\n' in fixed


def test_the_proof_catches_a_child_that_runs_before_the_vault_or_grants_otherwise() -> None:
    text = template(vault())
    fixed = fix_template(request(text)).template_text
    unordered = fixed.replace('"dependsOn": [\n        "[resourceId(\'Microsoft.KeyVault/vaults\', parameters(\'vaultName\'))]"\n      ],\n', "")
    assert unordered != fixed
    assert any("does not depend on its vault" in f for f in prove_add_policies(request(text), unordered).failures)
    widened = fixed.replace('"secrets": ["get", "list"]', '"secrets": ["get", "list", "set"]')
    failures = prove_add_policies(request(text), widened).failures
    assert any(f.startswith("with the default 'new' the vaults end with other access policies") for f in failures)
    assert any(f.startswith("with 'existing' the `add` children do not put back the policies") for f in failures)


def test_the_command_takes_the_strategy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "azuredeploy.json"
    path.write_text(template(vault()).replace('"westeurope"', '"[resourceGroup().location]"'), encoding="utf-8")
    # KV001 on the vault and KV007 on its `add` child are both the pattern's own caveat: exit 0.
    assert main(["fix", str(path), "--strategy", "add-policies", "--write"]) == 0
    err = capsys.readouterr().err
    assert "applied: Move the access policies of the vault 'kv-one'" in err and "KV001 the resource follows a new/existing option" in err
    assert "KV007 its vault follows a new/existing option" in err
    written = path.read_text(encoding="utf-8")
    assert '"type": "Microsoft.KeyVault/vaults/accessPolicies"' in written and "keyVaultOption" in written
    assert main(["fix", str(path), "--strategy", "add-policies"]) == 0
    assert capsys.readouterr().out == ""  # a second run has nothing to change


STORAGE = """,
    {
      "type": "Microsoft.Storage/storageAccounts",
      "apiVersion": "2023-05-01",
      "name": "stone",
      "location": "westeurope",
      "sku": { "name": "Standard_LRS" },
      "kind": "StorageV2"
    }"""
WAITS = """
      "dependsOn": ["[resourceId('Microsoft.Storage/storageAccounts', 'stone')]"],"""


def test_the_child_waits_for_what_the_vault_waits_for() -> None:
    # With 'existing' ARM drops the dependency on the condition-false vault, not through it.
    fixed = fixed_and_proven(template(vault(head=WAITS), STORAGE))
    assert parse_document(fixed).value["resources"][1]["dependsOn"] == [
        "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]",
        "[resourceId('Microsoft.Storage/storageAccounts', 'stone')]",
    ]
    text = template(vault(head=WAITS), ADD_CHILD.format(depends=DEPENDS, principal="99999999-0000-0000-0000-000000000000") + STORAGE)
    merged = fix_template(request(text)).template_text
    assert parse_document(merged).value["resources"][1]["dependsOn"] == [
        "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]",
        "[resourceId('Microsoft.Storage/storageAccounts', 'stone')]",
    ]
    assert prove_add_policies(request(text), merged).failures == []


POLICY_CHILD = """,
    {{
      "type": "Microsoft.KeyVault/vaults/accessPolicies",
      "apiVersion": "2023-07-01",
      "name": "[concat(parameters('vaultName'), '/{operation}')]",
      "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"],
      "properties": {{ "accessPolicies": [] }}
    }}"""
OPTIONAL = """
      "condition": "[equals(parameters('keyVaultOption'), 'new')]","""
OPTION = """,
    "keyVaultOption": { "type": "string", "defaultValue": "new", "allowedValues": ["new", "existing"] }"""


@pytest.mark.parametrize(
    ("head", "parameters", "operation", "addressed"),
    [
        (OPTIONAL, OPTION, "add", True),  # the pattern's own caveat, reported with KV001
        (OPTIONAL, OPTION, "replace", False),  # replace wipes out-of-band principals whatever the option
        ("", "", "add", False),  # no option: the vault is redeployed on every run
    ],
)
def test_kv007_on_an_add_child_is_addressed_only_under_an_optional_vault(head: str, parameters: str, operation: str, addressed: bool) -> None:
    text = template(vault(head=head), POLICY_CHILD.format(operation=operation), parameters=parameters)
    outcome = fix_template(FixRequest(template="inline.json", text=text, config=Config(select=["KV007"]), fill_missing=True))
    assert [f.rule_id for f in outcome.addressed] == (["KV007"] if addressed else [])
    assert [f.rule_id for f, _ in outcome.unfixable] == ([] if addressed else ["KV007"])
