"""`arm-validator expand`: exit codes, the printed JSON, stderr messages, parameters and context options."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from validator.cli import main

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
SAMPLES = Path(__file__).resolve().parent.parent / "templates"

TEMPLATE: dict[str, Any] = {
    "$schema": SCHEMA,
    "contentVersion": "1.0.0.0",
    "parameters": {
        "vaultName": {"type": "string", "defaultValue": "kv-default"},
        "adminPassword": {"type": "securestring", "defaultValue": "default-secret-value"},
    },
    "resources": [
        {
            "type": "Microsoft.KeyVault/vaults",
            "apiVersion": "2023-07-01",
            "name": "[parameters('vaultName')]",
            "location": "[resourceGroup().location]",
            "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"}, "accessPolicies": []},
        },
        {
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2023-01-01",
            "name": "st1",
            "condition": "[equals(resourceGroup().name, 'never')]",
            "dependsOn": ["[parameters('vaultName')]"],
            "properties": {"uri": "[reference(parameters('vaultName')).vaultUri]"},
        },
    ],
    "outputs": {
        "vaultId": {"type": "string", "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"},
        "location": {"type": "string", "value": "[resourceGroup().location]"},
        "password": {"type": "securestring", "value": "[parameters('adminPassword')]"},
    },
}


def write(path: Path, content: Any) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")
    return str(path)


def run_expand(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """Run `expand` in-process: (exit code, parsed stdout or None, stderr)."""
    code = main(["expand", *argv])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_expand_prints_the_documented_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_expand(capsys, write(tmp_path / "main.json", TEMPLATE))
    assert code == 0 and err == ""
    assert set(out) == {"resources", "outputs", "diagnostics"}
    vault, account = out["resources"]
    vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-default"
    assert {k: vault[k] for k in ("id", "type", "name", "apiVersion", "deployed", "dependsOn")} == {
        "id": vault_id,
        "type": "Microsoft.KeyVault/vaults",
        "name": "kv-default",
        "apiVersion": "2023-07-01",
        "deployed": True,
        "dependsOn": [],
    }
    assert vault["properties"]["accessPolicies"] == []
    assert vault["source"] == {"file": str(tmp_path / "main.json"), "line": 15, "column": 5}
    assert account["deployed"] is False and account["dependsOn"] == [vault_id]
    assert account["properties"] == {"uri": {"$unknown": "reference(parameters('vaultName')).vaultUri"}}
    assert out["outputs"]["vaultId"] == {"type": "string", "value": vault_id}
    assert out["outputs"]["password"]["value"]["$unknown"] == "outputs('password')"
    assert out["diagnostics"] == []


def test_secure_default_is_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "main.json", TEMPLATE)
    assert main(["expand", path]) == 0
    assert main(["expand", path, "--param", "adminPassword=cli-secret-value"]) == 0
    captured = capsys.readouterr()
    assert "cli-secret-value" not in captured.out + captured.err
    assert "default-secret-value" not in captured.out + captured.err


def test_unknown_values_still_exit_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = dict(TEMPLATE, outputs={"now": {"type": "string", "value": "[parameters('now')]"}}, parameters=dict(TEMPLATE["parameters"], now={"type": "string", "defaultValue": "[utcNow()]"}))
    code, out, _ = run_expand(capsys, write(tmp_path / "main.json", template))
    assert code == 0
    assert out["outputs"]["now"]["value"] == {"$unknown": "utcNow()", "nondeterministic": True}


def test_parameter_file_and_param_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = write(tmp_path / "main.json", TEMPLATE)
    parameters = write(tmp_path / "main.parameters.json", {"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": {"vaultName": {"value": "kv-file"}}})
    code, out, _ = run_expand(capsys, template, "-p", parameters)
    assert code == 0 and out["resources"][0]["name"] == "kv-file"
    code, out, _ = run_expand(capsys, template, "--parameters", parameters, "--param", "vaultName=kv-cli")
    assert code == 0 and out["resources"][0]["name"] == "kv-cli"
    assert out["outputs"]["vaultId"]["value"].endswith("/vaults/kv-cli")


def test_context_options_shape_ids_and_resource_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = "11111111-2222-3333-4444-555555555555"
    code, out, _ = run_expand(
        capsys,
        write(tmp_path / "main.json", TEMPLATE),
        "--subscription-id", sub,
        "--resource-group", "rg-prod",
        "--location", "swedencentral",
        "--tenant-id", "99999999-0000-0000-0000-000000000000",
    )
    assert code == 0
    vault = out["resources"][0]
    assert vault["id"] == f"/subscriptions/{sub}/resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/kv-default"
    assert vault["location"] == "swedencentral"
    assert vault["properties"]["tenantId"] == "99999999-0000-0000-0000-000000000000"
    assert out["outputs"]["location"]["value"] == "swedencentral"


def test_deployment_name_defaults_to_the_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = {"$schema": SCHEMA, "contentVersion": "1.0.0.0", "resources": [], "outputs": {"name": {"type": "string", "value": "[deployment().name]"}}}
    path = write(tmp_path / "azuredeploy.json", template)
    assert run_expand(capsys, path)[1]["outputs"]["name"]["value"] == "azuredeploy"
    assert run_expand(capsys, path, "--deployment-name", "release-42")[1]["outputs"]["name"]["value"] == "release-42"


def test_malformed_json_exits_2_with_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "broken.json", f'{{\n  "$schema": "{SCHEMA}",\n  "resources": [\n    {{ "name": "x", }}\n    {{ }}\n  ]\n}}')
    code, out, err = run_expand(capsys, path)
    assert code == 2 and out is None
    assert re.fullmatch(re.escape(path) + r":5:5: error: .+\n", err), err


def test_missing_file_exits_2_with_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "absent.json")
    code, out, err = run_expand(capsys, path)
    assert code == 2 and out is None
    assert re.fullmatch(re.escape(path) + r":\d+:\d+: error: .+\n", err), err


def test_missing_parameter_file_exits_2_naming_that_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.json")
    code, _, err = run_expand(capsys, write(tmp_path / "main.json", TEMPLATE), "-p", missing)
    assert code == 2
    assert err.startswith(f"{missing}:"), err


def test_malformed_param_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_expand(capsys, write(tmp_path / "main.json", TEMPLATE), "--param", "novalue")
    assert code == 2
    assert err == "<command line>:1:1: error: expected NAME=VALUE, got 'novalue'\n"


def test_template_errors_exit_2_with_every_error_on_stderr_and_the_rest_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = """{
  "$schema": "SCHEMA",
  "contentVersion": "1.0.0.0",
  "parameters": { "count": { "type": "int", "maxValue": 3 } },
  "resources": [
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st1",
      "properties": { "x": "[div(1, 0)]" } },
    { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-ok" }
  ]
}""".replace("SCHEMA", SCHEMA)
    path = write(tmp_path / "main.json", text)
    code, out, err = run_expand(capsys, path, "--param", "count=4")
    assert code == 2
    assert err.splitlines() == [
        f"{path}:4:28: error: the value of parameter 'count' must be at most 3, not 4 (from the command line)",
        f"{path}:7:37: error: division by zero: the second argument of 'div' can't be 0",
    ]
    assert [r["name"] for r in out["resources"]] == ["st1", "kv-ok"]
    assert [(d["line"], d["column"], d["severity"]) for d in out["diagnostics"]] == [(4, 28, "error"), (7, 37, "error")]


def test_notes_do_not_fail_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "linked", "properties": {"mode": "Incremental", "templateLink": {"relativePath": "missing.json"}}}],
    }
    code, out, err = run_expand(capsys, write(tmp_path / "main.json", template))
    assert code == 0 and err == ""
    assert [d["code"] for d in out["diagnostics"]] == ["LinkedTemplateNotResolved"]


def test_python_dash_m_validator_expand_on_a_sample() -> None:
    folder = SAMPLES / "ml-workspace-risky"
    result = subprocess.run(
        [sys.executable, "-m", "validator", "expand", str(folder / "azuredeploy.json"), "-p", str(folder / "azuredeploy.parameters.json")],
        capture_output=True,
        text=True,
        cwd=str(Path(__file__).resolve().parent.parent),
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        timeout=60,
        check=False,  # the exit code is asserted below, with stderr in the message
    )
    assert result.returncode == 0, result.stderr
    names = [r["name"] for r in json.loads(result.stdout)["resources"]]
    assert "kv-mlw-prod-001" in names and "mlw-prod" in names
