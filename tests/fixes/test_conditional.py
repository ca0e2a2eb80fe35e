"""The conditional-creation fix for KV001, proven on the sample templates and small inline ones."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from validator.config import Config
from validator.fixes.engine import FixRequest, fix_template, lint_document
from validator.fixes.proof import prove_fix
from validator.source import parse_document
from validator.state.model import LiveResource, LiveState

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "templates")
KV001_ONLY = Config(select=["KV001"])


def request_for(relative: str, **changes: object) -> FixRequest:
    path = os.path.join(ROOT, relative)
    stem = os.path.splitext(path)[0]
    parameters = f"{stem}.parameters.json"
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    params_text = Path(parameters).read_text(encoding="utf-8") if os.path.exists(parameters) else None
    request = FixRequest(template=path, text=text, parameters_file=parameters if params_text else None,
                         parameters_text=params_text, config=KV001_ONLY, fill_missing=True)
    for key, value in changes.items():
        setattr(request, key, value)
    return request


def inline(text: str) -> FixRequest:
    return FixRequest(template="inline.json", text=text, config=KV001_ONLY, fill_missing=True)


def changed_lines(before: str, after: str) -> list[str]:
    """The lines of `after` that are not in `before` (the edits are insertions and in-line changes)."""
    old = set(before.splitlines())
    return [line for line in after.splitlines() if line not in old]


@pytest.mark.parametrize("sample", ["ml-workspace-risky/azuredeploy.json", "ml-workspace-v2/main.json", "nested-deployment/azuredeploy.json"])
def test_samples_are_fixed_and_proven(sample: str) -> None:
    request = request_for(sample)
    outcome = fix_template(request)
    assert len(outcome.applied) == 1
    proof = prove_fix(request, outcome.template_text)
    assert proof.failures == []
    assert proof.options == ["keyVaultOption"]
    # Every original line is still there, in order: the fix only inserts or edits in place.
    kept = [line for line in outcome.template_text.splitlines() if line in set(request.text.splitlines())]
    assert len(kept) >= len(request.text.splitlines()) - 3


def test_risky_sample_edits() -> None:
    request = request_for("ml-workspace-risky/azuredeploy.json")
    fixed = fix_template(request).template_text
    added = changed_lines(request.text, fixed)
    assert '      "condition": "[equals(parameters(\'keyVaultOption\'), \'new\')]",' in added
    assert '        "keyVault": "[resourceId(parameters(\'keyVaultResourceGroupName\'), \'Microsoft.KeyVault/vaults\', parameters(\'keyVaultName\'))]",' in added
    assert '      "value": "[resourceId(parameters(\'keyVaultResourceGroupName\'), \'Microsoft.KeyVault/vaults\', parameters(\'keyVaultName\'))]"' in added
    # dependsOn stays: ARM drops a dependency on a condition-false resource.
    assert '        "[resourceId(\'Microsoft.KeyVault/vaults\', parameters(\'keyVaultName\'))]",' in fixed
    # The block comment and the line comments survive.
    assert "// The RP requires this list on an access-policy vault" in fixed and "/*\n    Azure ML workspace" in fixed
    value = parse_document(fixed).value
    option = value["parameters"]["keyVaultOption"]
    assert option["allowedValues"] == ["new", "existing"] and option["defaultValue"] == "new"
    assert value["parameters"]["keyVaultResourceGroupName"]["defaultValue"] == "[resourceGroup().name]"


def test_existing_points_the_workspace_at_the_existing_vault_in_another_group() -> None:
    request = request_for("ml-workspace-risky/azuredeploy.json")
    fixed = fix_template(request).template_text
    request.params = ["keyVaultOption=existing", "keyVaultResourceGroupName=rg-secrets"]
    _, expansion = lint_document(parse_document(fixed, request.template), request, parse_document(request.parameters_text or ""))
    vault = next(r for r in expansion.resources if r.type == "Microsoft.KeyVault/vaults")
    workspace = next(r for r in expansion.resources if r.type == "Microsoft.MachineLearningServices/workspaces")
    assert vault.deployed is False
    assert workspace.properties["keyVault"].endswith("/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-mlw-prod-001")


def test_v2_routes_symbolic_references_through_an_existing_twin() -> None:
    request = request_for("ml-workspace-v2/main.json")
    fixed = fix_template(request).template_text
    value = parse_document(fixed).value
    assert value["resources"]["vaultExisting"] == {
        "existing": True, "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[variables('keyVaultName')]",
    }
    assert value["outputs"]["keyVaultUri"]["value"] == (
        "[if(equals(parameters('keyVaultOption'), 'new'), reference('vault'), reference('vaultExisting')).vaultUri]"
    )
    # The `add` child addresses the vault by name: no resource group parameter (it deploys to this group).
    assert "keyVaultResourceGroupName" not in value["parameters"]


def test_nested_inner_scope_passes_the_option_down() -> None:
    request = request_for("nested-deployment/azuredeploy.json")
    value = parse_document(fix_template(request).template_text).value
    nested = value["resources"][0]["properties"]
    assert nested["parameters"]["keyVaultOption"] == {"value": "[parameters('keyVaultOption')]"}
    assert nested["template"]["parameters"]["keyVaultOption"]["allowedValues"] == ["new", "existing"]
    assert nested["template"]["resources"][0]["condition"] == "[equals(parameters('keyVaultOption'), 'new')]"


VAULT = """{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{
    "keyVaultOption": {{ "type": "string", "defaultValue": "x" }}
  }},
  "resources": [
{resources}
  ]
}}"""

ONE = """    {{
      {condition}"type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "{name}",
      "location": "westeurope",
      "properties": {{ "tenantId": "[subscription().tenantId]", "sku": {{ "family": "A", "name": "standard" }}, "accessPolicies": [] }}
    }}"""


def test_existing_condition_is_combined_with_and_and_taken_names_get_fresh_ones() -> None:
    text = VAULT.format(resources=ONE.format(condition='"condition": "[not(empty(\'x\'))]",\n      ', name="kv-one"))
    request = inline(text)
    outcome = fix_template(request)
    value = parse_document(outcome.template_text).value
    condition = value["resources"][0]["condition"]
    assert condition.startswith("[and(not(empty('x')), equals(parameters(") and condition.endswith("'new'))]")
    assert "keyVault2Option" in value["parameters"] and value["parameters"]["keyVaultOption"] == {"type": "string", "defaultValue": "x"}
    assert prove_fix(request, outcome.template_text).failures == []


def test_several_vaults_get_one_option_each_and_the_loop_reaches_a_fixpoint() -> None:
    resources = ",\n".join(ONE.format(condition="", name=n) for n in ("kv-one", "kv-two"))
    text = VAULT.format(resources=resources).replace('"keyVaultOption": { "type": "string", "defaultValue": "x" }', '"other": { "type": "string", "defaultValue": "x" }')
    request = inline(text)
    outcome = fix_template(request)
    value = parse_document(outcome.template_text).value
    tests = [r["condition"] for r in value["resources"]]
    assert tests == ["[equals(parameters('keyVaultOption'), 'new')]", "[equals(parameters('keyVault2Option'), 'new')]"]
    assert outcome.converged and len(outcome.applied) == 2
    proof = prove_fix(request, outcome.template_text)
    assert proof.failures == [] and proof.options == ["keyVault2Option", "keyVaultOption"]


def test_second_run_changes_nothing_and_leaves_kv001_addressed() -> None:
    request = request_for("ml-workspace-risky/azuredeploy.json")
    fixed = fix_template(request).template_text
    request.text = fixed
    again = fix_template(request)
    assert again.template_text == fixed and again.applied == []
    assert [f.rule_id for f in again.addressed] == ["KV001"] and again.remaining == []


def test_bom_free_text_and_crlf_are_kept() -> None:
    text = VAULT.format(resources=ONE.format(condition="", name="kv-one")).replace("\n", "\r\n")
    outcome = fix_template(inline(text))
    assert "\n" not in outcome.template_text.replace("\r\n", "")
    assert outcome.template_text.count("\r\n") > text.count("\r\n")


def test_state_sets_existing_for_a_found_vault_and_keeps_the_file_layout() -> None:
    request = request_for("ml-workspace-risky/azuredeploy.json", config=Config())
    vault_id = _vault_id(request, fix_template(request).template_text)
    request.state = LiveState("s", "rg", resources={vault_id.lower(): LiveResource(vault_id, "2023-07-01", "found", {})})
    outcome = fix_template(request)
    assert [(d.parameter, d.status, d.value) for d in outcome.decisions if d.parameter == "keyVaultOption"] == [("keyVaultOption", "found", "existing")]
    # The storage account, App Insights and registry options (AML003) are not in this state: left alone.
    assert {(d.status, d.value) for d in outcome.decisions if d.parameter != "keyVaultOption"} == {("unknown", None)}
    assert request.parameters_text is not None
    expected = request.parameters_text.replace(
        '"value": "log-mlw-prod"\n    }\n',
        '"value": "log-mlw-prod"\n    },\n    "keyVaultOption": {\n      "value": "existing"\n    }\n',
    )
    assert outcome.parameters_text == expected != request.parameters_text
    # With the parameter file as written, the vault is not deployed: KV001 is gone.
    assert not any(f.rule_id == "KV001" for f in outcome.remaining + outcome.addressed)


def test_state_leaves_new_for_a_missing_vault() -> None:
    request = request_for("ml-workspace-risky/azuredeploy.json", config=Config())
    expansion_id = _vault_id(request, fix_template(request).template_text)
    request.state = LiveState("s", "rg", resources={expansion_id.lower(): LiveResource(expansion_id, "2023-07-01", "not_found")})
    outcome = fix_template(request)
    assert [(d.status, d.value) for d in outcome.decisions if d.parameter == "keyVaultOption"] == [("not_found", "new")]
    assert outcome.parameters_text == request.parameters_text


def _vault_id(request: FixRequest, fixed: str) -> str:
    _, expansion = lint_document(parse_document(fixed, request.template), request, parse_document(request.parameters_text or "{}"))
    vault = next(r for r in expansion.resources if r.type == "Microsoft.KeyVault/vaults")
    assert isinstance(vault.id, str)
    return vault.id
