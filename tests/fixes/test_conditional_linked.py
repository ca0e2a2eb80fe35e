"""The conditional-creation fix for the storage account, Application Insights component and
container registry of an ML workspace (AML003), proven like the vault's (KV001)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from validator.config import Config
from validator.fixes.engine import FixRequest, fix_template, lint_document
from validator.fixes.proof import prove_fix
from validator.source import parse_document
from validator.state.model import LiveResource, LiveState

DATA = Path(__file__).parent / "data"
LINKED = Config(select=["KV001", "AML003"])
STORAGE = "Microsoft.Storage/storageAccounts"
INSIGHTS = "Microsoft.Insights/components"
REGISTRY = "Microsoft.ContainerRegistry/registries"


def inline(template: dict[str, Any] | str, **changes: Any) -> FixRequest:
    text = template if isinstance(template, str) else json.dumps(template, indent=2) + "\n"
    request = FixRequest(template="inline.json", text=text, config=LINKED, fill_missing=True)
    for key, value in changes.items():
        setattr(request, key, value)
    return request


def template(*resources: dict[str, Any], language_version: str | None = None, outputs: dict[str, Any] | None = None,
             parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"}
    if language_version:
        out["languageVersion"] = language_version
    out["contentVersion"] = "1.0.0.0"
    out["parameters"] = parameters or {"workspaceName": {"type": "string", "defaultValue": "mlw-prod"}}
    if language_version:
        out["resources"] = {symbol: body for symbol, body in resources}  # type: ignore[misc]
    else:
        out["resources"] = list(resources)
    if outputs:
        out["outputs"] = outputs
    return out


def storage(name: str = "stmlwprod001", **extra: Any) -> dict[str, Any]:
    return {**extra, "type": STORAGE, "apiVersion": "2023-05-01", "name": name, "location": "westeurope",
            "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "properties": {"minimumTlsVersion": "TLS1_2"}}


def insights(name: str = "appi-mlw-prod", **extra: Any) -> dict[str, Any]:
    return {**extra, "type": INSIGHTS, "apiVersion": "2020-02-02", "name": name, "location": "westeurope",
            "kind": "web", "properties": {"Application_Type": "web"}}


def registry(name: str = "crmlwprod001", **extra: Any) -> dict[str, Any]:
    return {**extra, "type": REGISTRY, "apiVersion": "2023-07-01", "name": name, "location": "westeurope",
            "sku": {"name": "Standard"}, "properties": {"adminUserEnabled": True}}


def workspace(**links: str) -> dict[str, Any]:
    return {"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01",
            "name": "[parameters('workspaceName')]", "location": "westeurope", "identity": {"type": "SystemAssigned"},
            "properties": dict(links)}


def fixed_value(request: FixRequest) -> tuple[dict[str, Any], Any]:
    outcome = fix_template(request)
    return parse_document(outcome.template_text).value, outcome


def assert_proven(request: FixRequest, fixed_text: str, options: list[str]) -> None:
    proof = prove_fix(request, fixed_text)
    assert proof.failures == []
    assert proof.options == options


def test_the_quickstart_shape_gets_all_four_options_and_is_proven() -> None:
    path = DATA / "ml-workspace-quickstart.json"
    request = FixRequest(template=str(path), text=path.read_text(encoding="utf-8"), config=LINKED, fill_missing=True)
    outcome = fix_template(request)
    assert outcome.converged and len(outcome.applied) == 4
    fixed = parse_document(outcome.template_text).value
    conditions = [r.get("condition") for r in fixed["resources"]]
    assert conditions == [f"[equals(parameters('{stem}Option'), 'new')]" for stem in
                          ("storageAccount", "keyVault", "applicationInsights", "containerRegistry")] + [None]
    # The links go through variables: the variables follow each option's resource group.
    assert fixed["variables"]["storageAccount"] == (
        "[resourceId(parameters('storageAccountResourceGroupName'), 'Microsoft.Storage/storageAccounts', variables('storageAccountName'))]")
    assert fixed["variables"]["containerRegistry"] == (
        "[resourceId(parameters('containerRegistryResourceGroupName'), 'Microsoft.ContainerRegistry/registries', variables('containerRegistryName'))]")
    for stem in ("storageAccount", "applicationInsights", "containerRegistry"):
        option = fixed["parameters"][f"{stem}Option"]
        assert option["allowedValues"] == ["new", "existing"] and option["defaultValue"] == "new"
        assert fixed["parameters"][f"{stem}ResourceGroupName"]["defaultValue"] == "[resourceGroup().name]"
    assert "// The shape of Microsoft's machine-learning-workspace quickstart" in outcome.template_text
    assert_proven(request, outcome.template_text,
                  ["applicationInsightsOption", "containerRegistryOption", "keyVaultOption", "storageAccountOption"])
    # A second run changes nothing; each finding is now addressed by its option.
    request.text = outcome.template_text
    again = fix_template(request)
    assert again.template_text == outcome.template_text and again.applied == []
    assert sorted(f.rule_id for f in again.addressed) == ["AML003", "AML003", "AML003", "KV001"]


def test_existing_in_another_group_moves_every_link_and_deploys_none_of_them() -> None:
    path = DATA / "ml-workspace-quickstart.json"
    request = FixRequest(template=str(path), text=path.read_text(encoding="utf-8"), config=LINKED, fill_missing=True)
    fixed = fix_template(request).template_text
    request.params = [f"{stem}{suffix}" for stem in ("storageAccount", "applicationInsights", "containerRegistry")
                      for suffix in ("Option=existing", "ResourceGroupName=rg-shared")]
    findings, expansion = lint_document(parse_document(fixed, request.template), request, None)
    deployed = {r.type for r in expansion.resources if r.deployed is not False}
    assert deployed == {"Microsoft.KeyVault/vaults", "Microsoft.MachineLearningServices/workspaces"}
    links = next(r for r in expansion.resources if r.type.endswith("/workspaces")).properties
    for link in ("storageAccount", "applicationInsights", "containerRegistry"):
        assert "/resourceGroups/rg-shared/providers/" in links[link]
    assert "/resourceGroups/rg-shared/" not in links["keyVault"]
    assert [f.rule_id for f in findings if f.rule_id == "AML003"] == []


def test_a_link_left_behind_fails_the_proof() -> None:
    request = inline(template(storage(), workspace(storageAccount=f"[resourceId('{STORAGE}', 'stmlwprod001')]"),
                              outputs={"storageId": {"type": "string", "value": f"[resourceId('{STORAGE}', 'stmlwprod001')]"}}))
    fixed = fix_template(request).template_text
    assert "resourceId(parameters('storageAccountResourceGroupName'), 'Microsoft.Storage/storageAccounts', 'stmlwprod001')" in fixed
    assert_proven(request, fixed, ["storageAccountOption"])
    # Undo the edit of the workspace's link only: the proof names the link that stayed behind.
    broken = fixed.replace(
        f'"storageAccount": "[resourceId(parameters(\'storageAccountResourceGroupName\'), \'{STORAGE}\', \'stmlwprod001\')]"',
        f'"storageAccount": "[resourceId(\'{STORAGE}\', \'stmlwprod001\')]"')
    assert broken != fixed
    failures = prove_fix(request, broken).failures
    assert any("still links the old ID at properties.storageAccount" in f for f in failures), failures


def test_a_storage_account_with_children_stays_in_the_deployment_group() -> None:
    container = {"type": f"{STORAGE}/blobServices/containers", "apiVersion": "2023-05-01",
                 "name": "stmlwprod001/default/models", "dependsOn": [f"[resourceId('{STORAGE}', 'stmlwprod001')]"]}
    request = inline(template(storage(), container, workspace(storageAccount=f"[resourceId('{STORAGE}', 'stmlwprod001')]")))
    value, outcome = fixed_value(request)
    assert value["resources"][0]["condition"] == "[equals(parameters('storageAccountOption'), 'new')]"
    # The container deploys to this group, so an existing account must be here too: no group parameter.
    assert "storageAccountResourceGroupName" not in value["parameters"]
    assert value["resources"][2]["properties"]["storageAccount"] == f"[resourceId('{STORAGE}', 'stmlwprod001')]"
    assert_proven(request, outcome.template_text, ["storageAccountOption"])


def test_application_insights_read_by_name_alone_stays_in_the_deployment_group() -> None:
    by_name = {"type": "string", "value": "[reference('appi-mlw-prod', '2020-02-02').ConnectionString]"}
    request = inline(template(insights(), workspace(applicationInsights=f"[resourceId('{INSIGHTS}', 'appi-mlw-prod')]"),
                              outputs={"connection": by_name}))
    value, outcome = fixed_value(request)
    assert value["resources"][0]["condition"] == "[equals(parameters('applicationInsightsOption'), 'new')]"
    assert "applicationInsightsResourceGroupName" not in value["parameters"]
    assert_proven(request, outcome.template_text, ["applicationInsightsOption"])


def test_application_insights_read_by_resource_id_follows_the_group() -> None:
    by_id = {"type": "string", "value": f"[reference(resourceId('{INSIGHTS}', 'appi-mlw-prod'), '2020-02-02').ConnectionString]"}
    request = inline(template(insights(), workspace(applicationInsights=f"[resourceId('{INSIGHTS}', 'appi-mlw-prod')]"),
                              outputs={"connection": by_id}))
    value, outcome = fixed_value(request)
    assert value["outputs"]["connection"]["value"] == (
        f"[reference(resourceId(parameters('applicationInsightsResourceGroupName'), '{INSIGHTS}', 'appi-mlw-prod'), '2020-02-02').ConnectionString]")
    assert_proven(request, outcome.template_text, ["applicationInsightsOption"])


def test_a_registry_whose_option_name_is_taken_gets_a_fresh_one() -> None:
    parameters = {"workspaceName": {"type": "string", "defaultValue": "mlw-prod"},
                  "containerRegistryOption": {"type": "string", "defaultValue": "none"}}
    request = inline(template(registry(), workspace(containerRegistry=f"[resourceId('{REGISTRY}', 'crmlwprod001')]"),
                              parameters=parameters))
    value, outcome = fixed_value(request)
    assert value["parameters"]["containerRegistryOption"] == {"type": "string", "defaultValue": "none"}
    assert value["resources"][0]["condition"] == "[equals(parameters('containerRegistry2Option'), 'new')]"
    assert "containerRegistry2ResourceGroupName" in value["parameters"]
    assert [f.title for f in outcome.applied] == ["Deploy the container registry 'crmlwprod001' only when containerRegistry2Option is 'new'"]
    assert_proven(request, outcome.template_text, ["containerRegistry2Option"])


def test_language_version_2_routes_symbolic_references_through_existing_twins() -> None:
    request = inline(template(
        ("storage", storage()),
        ("appInsights", insights()),
        ("registry", registry()),
        ("workspace", {**workspace(storageAccount=f"[resourceId('{STORAGE}', 'stmlwprod001')]",
                                   applicationInsights=f"[resourceId('{INSIGHTS}', 'appi-mlw-prod')]",
                                   containerRegistry="[resourceInfo('registry').id]"),
                       "dependsOn": ["storage", "appInsights", "registry"]}),
        language_version="2.0",
        outputs={"connection": {"type": "string", "value": "[reference('appInsights').ConnectionString]"}},
    ))
    value, outcome = fixed_value(request)
    assert value["resources"]["appInsightsExisting"] == {
        "existing": True, "type": INSIGHTS, "apiVersion": "2020-02-02", "name": "appi-mlw-prod",
        "resourceGroup": "[parameters('applicationInsightsResourceGroupName')]",
    }
    test = "equals(parameters('applicationInsightsOption'), 'new')"
    assert value["outputs"]["connection"]["value"] == f"[if({test}, reference('appInsights'), reference('appInsightsExisting')).ConnectionString]"
    # The registry is linked by its symbolic name only: its twin reads it in the deployment's group.
    assert value["resources"]["registryExisting"] == {"existing": True, "type": REGISTRY, "apiVersion": "2023-07-01", "name": "crmlwprod001"}
    assert value["resources"]["workspace"]["properties"]["containerRegistry"] == (
        "[if(equals(parameters('containerRegistryOption'), 'new'), resourceInfo('registry'), resourceInfo('registryExisting')).id]")
    assert value["resources"]["workspace"]["dependsOn"] == ["storage", "appInsights", "registry"]
    assert {value["resources"][s].get("condition") for s in ("storage", "appInsights", "registry")} == {
        f"[equals(parameters('{stem}Option'), 'new')]" for stem in ("storageAccount", "applicationInsights", "containerRegistry")}
    assert_proven(request, outcome.template_text, ["applicationInsightsOption", "containerRegistryOption", "storageAccountOption"])


def test_resources_already_conditional_are_neither_reported_nor_fixed() -> None:
    parameters = {"workspaceName": {"type": "string", "defaultValue": "mlw-prod"},
                  "storageAccountOption": {"type": "string", "defaultValue": "new", "allowedValues": ["new", "existing"]},
                  "deployRegistry": {"type": "bool", "defaultValue": False}}
    text = json.dumps(template(
        storage(condition="[equals(parameters('storageAccountOption'), 'new')]"),
        registry(condition="[parameters('deployRegistry')]"),
        workspace(storageAccount=f"[resourceId('{STORAGE}', 'stmlwprod001')]", containerRegistry=f"[resourceId('{REGISTRY}', 'crmlwprod001')]"),
        parameters=parameters), indent=2) + "\n"
    # With 'existing' the account is not deployed and the registry's condition is false: nothing fires.
    existing = fix_template(inline(text, params=["storageAccountOption=existing"]))
    assert existing.template_text == text and existing.applied == [] and existing.addressed == [] and existing.remaining == []
    # With the default 'new' the account is deployed, but it already follows its option: no second one.
    default = fix_template(inline(text))
    assert default.template_text == text and default.applied == []
    assert [(f.rule_id, f.position.line) for f in default.addressed] == [("AML003", text.splitlines().index(
        '      "condition": "[equals(parameters(\'storageAccountOption\'), \'new\')]",') + 1)]


def test_state_writes_existing_for_each_kind_that_exists() -> None:
    request = inline(template(storage(), insights(), registry(), workspace(
        storageAccount=f"[resourceId('{STORAGE}', 'stmlwprod001')]",
        applicationInsights=f"[resourceId('{INSIGHTS}', 'appi-mlw-prod')]",
        containerRegistry=f"[resourceId('{REGISTRY}', 'crmlwprod001')]")))
    _, expansion = lint_document(parse_document(request.text, request.template), request, None)
    ids = {r.type: r.id for r in expansion.resources}
    found = {ids[STORAGE]: "found", ids[INSIGHTS]: "not_found"}  # the registry is not in the state
    request.state = LiveState("s", "rg", resources={
        str(rid).lower(): LiveResource(str(rid), "2023-05-01", status, {}) for rid, status in found.items()})
    outcome = fix_template(request)
    assert [(d.parameter, d.status, d.value) for d in outcome.decisions] == [
        ("storageAccountOption", "found", "existing"),
        ("applicationInsightsOption", "not_found", "new"),
        ("containerRegistryOption", "unknown", None),
    ]
    assert outcome.parameters_text is not None
    assert json.loads(outcome.parameters_text)["parameters"] == {"storageAccountOption": {"value": "existing"}}
    # With that parameter file the account is left out: its AML003 is gone; the other two remain addressed.
    assert sorted(f.position.line for f in outcome.addressed) == sorted(
        i + 1 for i, line in enumerate(outcome.template_text.splitlines())
        if "applicationInsightsOption'), 'new')" in line and "condition" in line
        or "containerRegistryOption'), 'new')" in line and "condition" in line)
