"""No secret value reaches any report: secure parameter values from parameter files and the command
line, secure defaults and literal passwords in templates, Key Vault references, `list*()` outputs."""
from __future__ import annotations

from pathlib import Path

import pytest

from validator.lint import LintRequest, lint_file
from validator.reporters import REPORTERS

SECRETS = {
    "default": "Default-Secret-111",  # a securestring default written in the template
    "parameter file": "ParamFile-Secret-222-too-long",  # too long: an AV001 finding points at it
    "command line": "Cli-Secret-333",
    "literal": "Literal-Secret-444",  # a literal administratorLoginPassword
    "nested": "Nested-Secret-555",  # inside a secureObject value
    "not allowed": "Allowed-Secret-666",  # a secure value outside allowedValues: an AV001 finding
}

TEMPLATE = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "adminPassword": { "type": "securestring", "maxLength": 12 },
    "sqlPassword": { "type": "securestring" },
    "apiKey": { "type": "securestring", "defaultValue": "Default-Secret-111" },
    "connection": { "type": "secureObject" },
    "kvSecret": { "type": "securestring" },
    "pin": { "type": "securestring", "allowedValues": ["1234", "5678"] },
    "storageName": { "type": "string", "defaultValue": "stsecrets001" }
  },
  "variables": {
    "prefix": "[substring(parameters('sqlPassword'), 0, 40)]",
    "asNumber": "[int(parameters('sqlPassword'))]"
  },
  "resources": [
    {
      "type": "Microsoft.Sql/servers",
      "apiVersion": "2021-11-01",
      "name": "sql-secrets-001",
      "location": "westeurope",
      "properties": {
        "administratorLogin": "sqladmin",
        "administratorLoginPassword": "Literal-Secret-444",
        "x": "[variables('prefix')]", "y": "[variables('asNumber')]", "z": "[concat('pin', parameters('pin'))]"
      }
    },
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "kv-secrets-001",
      "location": "westeurope",
      "properties": {
        "tenantId": "[subscription().tenantId]",
        "sku": { "family": "A", "name": "standard" },
        "accessPolicies": [],
        "enablePurgeProtection": false
      }
    },
    {
      "type": "Microsoft.KeyVault/vaults/secrets",
      "apiVersion": "2023-07-01",
      "name": "kv-secrets-001/sql",
      "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', 'kv-secrets-001')]"],
      "properties": { "value": "[parameters('sqlPassword')]" }
    }
  ],
  "outputs": {
    "storageKey": {
      "type": "string",
      "value": "[listKeys(resourceId('Microsoft.Storage/storageAccounts', parameters('storageName')), '2023-05-01').keys[0].value]"
    },
    "password": { "type": "string", "value": "[parameters('adminPassword')]" },
    "conn": { "type": "object", "value": "[parameters('connection')]" },
    "fromVault": { "type": "string", "value": "[parameters('kvSecret')]" }
  }
}
"""

PARAMETERS = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "adminPassword": { "value": "ParamFile-Secret-222-too-long" },
    "connection": { "value": { "user": "app", "password": "Nested-Secret-555" } },
    "kvSecret": {
      "reference": {
        "keyVault": { "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-secrets-001" },
        "secretName": "sql-admin"
      }
    }
  }
}
"""


@pytest.mark.parametrize("parameters_name", ["azuredeploy.parameters.json", "prod.params.json"])
@pytest.mark.parametrize("format_name", sorted(REPORTERS))
def test_no_secret_value_in_any_format(
    format_name: str, parameters_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "azuredeploy.json").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / parameters_name).write_text(PARAMETERS, encoding="utf-8")
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))  # the github format writes markdown there too
    monkeypatch.chdir(tmp_path)
    request = LintRequest(
        "azuredeploy.json",
        parameters_file=parameters_name,
        params=[f"sqlPassword={SECRETS['command line']}", f"pin={SECRETS['not allowed']}"],
    )
    report = lint_file(request)
    rule_ids = {f.rule_id for f in report.findings}
    assert {"AV001", "KV004"} <= rule_ids  # the findings that point at secrets and carry a fix are there
    output = REPORTERS[format_name]([report])
    output += summary.read_text(encoding="utf-8") if summary.exists() else ""
    leaked = {where: value for where, value in SECRETS.items() if value in output}
    assert leaked == {}, f"the {format_name} report shows secret values: {leaked}"
