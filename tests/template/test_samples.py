"""Expansion of the sample templates in templates/: the facts each scenario is built on."""
from __future__ import annotations

import json
import os

import pytest
from expand_helpers import RG_PREFIX, SUB, find

from validator.api import expand
from validator.expressions.values import Unknown
from validator.template.model import Expansion

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "templates")
VAULTS = "Microsoft.KeyVault/vaults"
WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
DEPLOYMENTS = "Microsoft.Resources/deployments"


def sample(folder: str, template: str = "azuredeploy.json", parameters: str | None = "azuredeploy.parameters.json", **kwargs: object) -> Expansion:
    """Expand one sample with its parameter file (or none)."""
    base = os.path.join(SAMPLES, folder)
    return expand(os.path.join(base, template), os.path.join(base, parameters) if parameters else None, **kwargs)  # type: ignore[arg-type]


def no_errors(expansion: Expansion) -> None:
    assert [str(d) for d in expansion.diagnostics if d.severity == "error"] == []


@pytest.mark.parametrize(
    "folder, template, parameters",
    [
        ("ml-workspace-risky", "azuredeploy.json", "azuredeploy.parameters.json"),
        ("ml-workspace-safe", "azuredeploy.json", "azuredeploy.parameters.json"),
        ("ml-workspace-v2", "main.json", "main.parameters.json"),
        ("nested-deployment", "azuredeploy.json", "azuredeploy.parameters.json"),
        ("keyvault-pitfalls", "azuredeploy.json", None),
    ],
)
def test_every_sample_expands_without_errors_and_prints_as_json(folder: str, template: str, parameters: str | None) -> None:
    expansion = sample(folder, template, parameters)
    no_errors(expansion)
    printed = expansion.to_json()
    json.dumps(printed)
    for resource in printed["resources"]:
        assert set(resource) >= {"id", "type", "name", "apiVersion", "deployed", "properties", "dependsOn", "source"}
        assert resource["source"]["line"] > 0 and resource["source"]["column"] > 0


def test_risky_workspace_links_the_vault_it_always_redeploys() -> None:
    expansion = sample("ml-workspace-risky")
    kv = find(expansion, VAULTS)
    assert kv.name == "kv-mlw-prod-001"
    assert kv.id == f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-mlw-prod-001"
    assert kv.deployed is True and kv.properties["accessPolicies"] == []
    workspace = find(expansion, WORKSPACES)
    assert workspace.properties["keyVault"] == kv.id
    assert kv.id in workspace.depends_on
    assert workspace.properties["storageAccount"] == f"{RG_PREFIX}/Microsoft.Storage/storageAccounts/stmlwprod001"
    assert all(r.deployed is True for r in expansion.resources)
    assert expansion.to_json()["resources"][1]["source"]["line"] == 62  # the vault's declaration, after the comments


def test_risky_sample_without_parameter_file_uses_unique_string_defaults() -> None:
    expansion = sample("ml-workspace-risky", parameters=None, params={"workspaceName": "mlw-dev"})
    no_errors(expansion)
    kv = find(expansion, VAULTS)
    assert isinstance(kv.name, str) and kv.name.startswith("kv") and len(kv.name) <= 24
    assert find(expansion, WORKSPACES).properties["keyVault"] == kv.id


def test_safe_sample_with_existing_vault_deploys_no_vault_and_still_links_it() -> None:
    expansion = sample("ml-workspace-safe")
    kv = find(expansion, VAULTS)
    assert kv.deployed is False
    assert kv.id == f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-mlw-prod-001"
    workspace = find(expansion, WORKSPACES)
    assert workspace.deployed is True
    assert workspace.properties["keyVault"] == kv.id
    assert workspace.properties["containerRegistry"] == f"/subscriptions/{SUB}/resourceGroups/rg-shared-registry/providers/Microsoft.ContainerRegistry/registries/crmlwshared001"
    assert [r.type for r in expansion.resources if r.deployed is True] == [WORKSPACES]
    assert [r["deployed"] for r in expansion.to_json()["resources"] if r["type"] == VAULTS] == [False]


def test_safe_sample_with_default_options_creates_the_vault() -> None:
    expansion = sample("ml-workspace-safe", params=["keyVaultOption=new", "containerRegistryOption=none"])
    no_errors(expansion)
    kv = find(expansion, VAULTS)
    assert kv.deployed is True
    workspace = find(expansion, WORKSPACES)
    assert workspace.properties["keyVault"] == kv.id
    assert workspace.properties["containerRegistry"] is None


def test_language_version_2_sample_symbolic_references() -> None:
    expansion = sample("ml-workspace-v2", "main.json", "main.parameters.json")
    kv = find(expansion, VAULTS)
    assert kv.symbolic_name == "vault" and kv.name == "kv-churn-prod"
    assert kv.id == f"{RG_PREFIX}/Microsoft.KeyVault/vaults/kv-churn-prod"
    workspace = find(expansion, WORKSPACES)
    assert workspace.symbolic_name == "workspace"
    assert workspace.properties["keyVault"] == kv.id
    assert workspace.depends_on[0] == kv.id
    add = find(expansion, "Microsoft.KeyVault/vaults/accessPolicies")
    assert add.name == "kv-churn-prod/add" and add.depends_on == [kv.id]
    assert add.properties["accessPolicies"][0]["objectId"] == "4f1c2d7e-8b3a-4c55-9e21-6d0a7b9c3e14"
    containers = [r for r in expansion.resources if r.symbolic_name == "containers"]
    assert [r.name.split("/")[-1] for r in containers if isinstance(r.name, str)] == ["raw", "curated", "features", "models"]
    logs = find(expansion, "Microsoft.OperationalInsights/workspaces")
    assert logs.existing and logs.deployed is False
    assert logs.id == f"/subscriptions/{SUB}/resourceGroups/rg-platform-monitoring/providers/Microsoft.OperationalInsights/workspaces/log-platform-prod"
    identity = find(expansion, "Microsoft.ManagedIdentity/userAssignedIdentities")
    assert identity.existing and identity.deployed is False
    assignment = find(expansion, "Microsoft.Authorization/roleAssignments")
    storage = find(expansion, "Microsoft.Storage/storageAccounts")
    assert assignment.id == f"{storage.id}/providers/Microsoft.Authorization/roleAssignments/{assignment.name}"
    assert assignment.properties["principalId"] == Unknown("reference('pipelineIdentity').principalId")
    assert {n: v for n, (_, v) in expansion.outputs.items()}["keyVaultUri"] == Unknown("reference('vault').vaultUri")


def test_language_version_2_role_assignment_name_is_stable() -> None:
    first = find(sample("ml-workspace-v2", "main.json", "main.parameters.json"), "Microsoft.Authorization/roleAssignments").name
    moved = sample("ml-workspace-v2", "main.json", "main.parameters.json", params=["pipelineIdentityName=id-other"])
    assert first == "f4799727-b935-5745-8180-92641701c8c3"
    assert find(moved, "Microsoft.Authorization/roleAssignments").name != first


def test_nested_sample_links_the_workspace_through_the_nested_output() -> None:
    expansion = sample("nested-deployment")
    kv = find(expansion, VAULTS)
    assert kv.deployment == "mlw-forecast-prod-vault"
    assert kv.id == f"/subscriptions/{SUB}/resourceGroups/rg-forecast-secrets-prod/providers/Microsoft.KeyVault/vaults/kv-forecast-prod-001"
    assert kv.properties["accessPolicies"] == []
    vault_deployment = find(expansion, DEPLOYMENTS, "mlw-forecast-prod-vault")
    assert vault_deployment.id == f"/subscriptions/{SUB}/resourceGroups/rg-forecast-secrets-prod/providers/Microsoft.Resources/deployments/mlw-forecast-prod-vault"
    workspace = find(expansion, WORKSPACES)
    assert workspace.properties["keyVault"] == kv.id
    assert workspace.properties["containerRegistry"] is None
    assert vault_deployment.id in workspace.depends_on
    assert {n: v for n, (_, v) in expansion.outputs.items()}["keyVaultId"] == kv.id
    # The outer-scope deployment sees the parent's parameters.
    assert find(expansion, "Microsoft.OperationalInsights/workspaces").deployment == "monitoring"
    assert find(expansion, "Microsoft.Insights/components").name == "appi-forecast-prod"
    containers = [r.name for r in expansion.resources if r.type == "Microsoft.Storage/storageAccounts/blobServices/containers"]
    assert containers == [f"stforecastprod001/default/data-{i}" for i in (1, 2, 3)]
    assert find(expansion, "Microsoft.ContainerRegistry/registries").deployed is False


def test_pitfalls_sample_keeps_its_mistakes_visible() -> None:
    expansion = sample("keyvault-pitfalls", parameters=None)
    kv = find(expansion, VAULTS)
    assert kv.deployed is True
    properties = kv.properties
    assert properties["createMode"] == "recover"
    assert properties["enablePurgeProtection"] is False and properties["enableSoftDelete"] is False
    assert properties["accessPolicies"][0]["tenantId"] != properties["tenantId"]
