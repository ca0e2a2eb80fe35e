"""The read plan, redaction, the snapshot format and the shipped sample snapshot."""
from __future__ import annotations

import json
import os
from typing import Any

import pytest

from validator import api
from validator.cli import main
from validator.expressions.evaluator import DeploymentContext
from validator.state.collect import plan_reads
from validator.state.provider import REDACTED, redact_secrets
from validator.state.snapshot import read_snapshot, state_to_json

from .conftest import PARAMETERS, RG, ROOT, SUB, TEMPLATE
from .sample import SAMPLE, generate

CONTEXT = DeploymentContext(subscription_id=SUB, resource_group=RG, deployment_name="azuredeploy")


def write_template(tmp_path: Any, resources: list[dict[str, Any]]) -> str:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"v": {"type": "string", "defaultValue": "2023-07-01"}},
        "resources": resources,
    }))
    return str(path)


def test_plan_reads_each_resource_once_with_the_template_api_version(tmp_path: Any) -> None:
    vault = {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2019-09-01", "name": "kv1", "location": "West Europe", "properties": {}}
    template = write_template(tmp_path, [
        vault,
        {**vault, "apiVersion": "2023-07-01"},  # the same vault again: read once, first api-version wins
        {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "[reference('x').apiVersion]", "name": "st1", "location": "westeurope"},
        {"type": "Microsoft.KeyVault/vaults/accessPolicies", "apiVersion": "2023-07-01", "name": "kv1/add", "properties": {}},
        {"type": "Microsoft.MachineLearningServices/workspaces", "apiVersion": "2024-04-01", "name": "w", "location": "westeurope",
         "properties": {"keyVault": "[resourceId('Microsoft.KeyVault/vaults', 'KV1')]",
                        "storageAccount": "[resourceId('other-rg', 'Microsoft.Storage/storageAccounts', 'st2')]"}},
        {"condition": False, "type": "Microsoft.ContainerRegistry/registries", "apiVersion": "2023-07-01", "name": "cr1", "location": "westeurope"},
    ])
    plan = plan_reads(api.expand(template, context=CONTEXT), SUB, RG, "complete")
    group = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers"
    assert [(r.id, r.api_version) for r in plan.resources] == [
        (f"{group}/Microsoft.KeyVault/vaults/kv1", "2019-09-01"),
        (f"{group}/Microsoft.MachineLearningServices/workspaces/w", "2024-04-01"),
        (f"{group}/Microsoft.ContainerRegistry/registries/cr1", "2023-07-01"),  # condition false: complete mode deletes it
        (f"/subscriptions/{SUB}/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/st2", "2023-05-01"),
    ]
    assert [(d.name, d.location) for d in plan.deleted_vaults] == [("kv1", "West Europe")]
    assert [n.name for n in plan.name_checks] == ["kv1"]
    assert plan.list_group


def test_redaction_keeps_ids_and_permission_lists() -> None:
    body = {
        "properties": {
            "keyVault": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv",
            "accessPolicies": [{"objectId": "o", "permissions": {"keys": ["get"], "secrets": ["list"]}}],
            "adminPassword": "hunter2", "primaryKey": "abc", "clientSecret": "xyz", "value": "s3cret", "enableSecretRotation": True,
        }
    }
    out = redact_secrets(body, "Microsoft.KeyVault/vaults/secrets")
    props = out["properties"]
    assert props["keyVault"] == body["properties"]["keyVault"]
    assert props["accessPolicies"] == body["properties"]["accessPolicies"]
    assert [props[k] for k in ("adminPassword", "primaryKey", "clientSecret", "value")] == [REDACTED] * 4
    assert props["enableSecretRotation"] is True
    assert body["properties"]["adminPassword"] == "hunter2"  # the input is not mutated


def test_a_bad_snapshot_is_reported_with_the_file_and_json_path(tmp_path: Any, capsys: Any) -> None:
    with open(SAMPLE, encoding="utf-8") as handle:
        document = json.load(handle)
    document["resources"][2]["status"] = "gone"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    code = main(["check", TEMPLATE, "-p", PARAMETERS, "--state", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}: $.resources[2].status: 'gone' is not one of" in err
    (tmp_path / "nojson.json").write_text("{")
    assert main(["check", TEMPLATE, "--state", str(tmp_path / "nojson.json")]) == 2
    assert "not JSON" in capsys.readouterr().err


def test_the_sample_snapshot_is_what_the_snapshot_command_writes(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("REQUESTS_CA_BUNDLE", "AZURE_TOKEN_CREDENTIALS", "PATH", "NO_PROXY", "no_proxy", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # generate() changes these; monkeypatch restores them
    fresh = generate(str(tmp_path / "state.json"))
    with open(SAMPLE, encoding="utf-8") as handle:
        assert json.load(handle) == fresh
    state = read_snapshot(SAMPLE)
    assert state_to_json(state) == fresh
    workspace = state.resource(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-prod")
    assert workspace is not None and workspace.body is not None and workspace.body["identity"]["principalId"]
