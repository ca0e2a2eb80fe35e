"""The rules' own fixes (ARM002, ARM003, ARM004, ARM010, ARM014, ARM015, ARM018, ARM019, KV003, KV006,
IDM002, IDM004): the fixed text byte for byte (comments and line endings kept), still a template,
the rule silent on it, a second run of the fix loop changing nothing; and `arm-validator fix`
applying safe fixes by default, unsafe ones only with --unsafe-fixes, display-only ones never."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from validator.cli import main
from validator.config import Config
from validator.findings import Finding
from validator.fixes.edits import apply_edits, remove_member, replace_in_string, replace_value
from validator.fixes.engine import FixRequest, fix_template
from validator.lint import LintRequest, lint_file
from validator.source import parse_document

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"


def _template(body: str, schema: str = SCHEMA) -> str:
    """A template: `$schema`, `contentVersion`, then `body` (members at two spaces)."""
    return f'{{\n  "$schema": "{schema}",\n  "contentVersion": "1.0.0.0",\n{body}\n}}\n'


def _lint(text: str, rule_id: str, folder: Path) -> list[Finding]:
    path = folder / "azuredeploy.json"
    path.write_bytes(text.encode("utf-8"))
    report = lint_file(LintRequest(template=str(path), fill_missing=True, config=Config(select=[rule_id])))
    return [f for f in report.findings if f.rule_id == rule_id]


def _fix_loop(text: str, rule_id: str, folder: Path) -> str:
    request = FixRequest(template=str(folder / "azuredeploy.json"), text=text, fill_missing=True, unsafe=True,
                         config=Config(select=[rule_id]))
    return fix_template(request).template_text


VNET = "'Microsoft.Network/virtualNetworks'"
READER = "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')"


def _output(value: str) -> str:
    return (
        '  "resources": [],\n'
        '  "outputs": {\n'
        "    // the network the app joins\n"
        f'    "vnetId": {{ "type": "string", "value": "{value}" }}\n'
        "  }"
    )


def _resource(rtype: str, properties: str, extra: str = "", api_version: str = "2023-07-01") -> str:
    return (
        '  "resources": [\n'
        "    {\n"
        f'      "type": "{rtype}",\n'
        f'      "apiVersion": "{api_version}",\n'
        '      "name": "res-app-001",\n'
        f'      "location": "westeurope",{extra}\n'
        f'      "properties": {properties}\n'
        "    }\n"
        "  ]"
    )


def _vault(properties: str, parameters: str = "") -> str:
    return parameters + _resource("Microsoft.KeyVault/vaults", properties)


def _role_assignment(name: str, scope: str = "", principal: str = "[parameters('principalId')]") -> str:
    return (
        '  "parameters": {\n'
        '    "principalId": { "type": "string" },\n'
        '    "storageName": { "type": "string", "defaultValue": "stapp001" },\n'
        '    "roleAssignmentName": { "type": "string", "defaultValue": "[newGuid()]" }\n'
        "  },\n"
        f'  "variables": {{ "readerRoleId": "[{READER}]" }},\n'
        '  "resources": [\n'
        "    {\n"
        '      "type": "Microsoft.Authorization/roleAssignments",\n'
        '      "apiVersion": "2022-04-01",\n'
        f'      "name": "{name}",{scope}\n'
        f'      "properties": {{ "roleDefinitionId": "[variables(\'readerRoleId\')]", "principalId": "{principal}" }}\n'
        "    }\n"
        "  ]"
    )


_NESTED = (
    '  "resources": [\n'
    "    {{\n"
    '      "type": "Microsoft.Resources/deployments",\n'
    '      "apiVersion": "2022-09-01",\n'
    '      "name": "inner",\n'
    '      "properties": {{\n'
    '        "mode": "Incremental",\n'
    "{debug}"
    "        // deployed inline\n"
    '        "template": {{ "$schema": "{schema}", "contentVersion": "1.0.0.0", "resources": [] }}\n'
    "      }}\n"
    "    }}\n"
    "  ]"
)
_DEBUG = '        "debugSetting": {\n          "detailLevel": "requestContent, responseContent"\n        },\n'
_IDENTITY = "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('storageName'))"
_IDENTITY_PRINCIPAL = f"[reference({_IDENTITY}, '2023-01-31').principalId]"
_ENTRY = '"objectId": "00000000-0000-0000-0000-000000000001", "permissions": { "secrets": ["get"] }'
_SQL_PARAMETERS = (
    '  "parameters": {{\n'
    "    // the SQL administrator\n"
    '    "sqlPassword": {{ "type": "{first}", "minLength": 12 }},\n'
    '    "vmPwd": {{ "type": "{second}" }}\n'
    "  }},\n"
    '  "resources": []'
)

_VARIABLES = (
    '  "variables": {{\n'
    "{first}"
    '    "used": "[concat(\'a\', \'b\')]"{last}\n'
    "  }},\n"
    '  "resources": [],\n'
    '  "outputs": {{ "name": {{ "type": "string", "value": "[variables(\'used\')]" }} }}'
)

CASES = [
    pytest.param(
        "ARM002", "safe",
        _template(_VARIABLES.format(first='    // left over\n    "stale": "x",\n', last="")),
        _template(_VARIABLES.format(first="    // left over\n", last="")),
        id="ARM002 the unused variable goes with its line",
    ),
    pytest.param(
        "ARM002", "safe",
        _template(_VARIABLES.format(first="", last=',\n    "stale": { "a": 1 }')),
        _template(_VARIABLES.format(first="", last="")),
        id="ARM002 the last variable takes the comma before it",
    ),
    pytest.param(
        "ARM010", "safe",
        _template(_output(f"[resourceId(subscription().subscriptionId, resourceGroup().name, {VNET}, parameters('vnetName'))]")),
        _template(_output(f"[resourceId({VNET}, parameters('vnetName'))]")),
        id="ARM010 both defaults go in one fix",
    ),
    pytest.param(
        "ARM010", "safe",
        _template(_output(f"[resourceId(subscription().subscriptionId, 'rg-hub', {VNET}, 'vnet-hub')]")),
        _template(_output(f"[resourceId('rg-hub', {VNET}, 'vnet-hub')]")),
        id="ARM010 the subscription before another resource group",
    ),
    pytest.param(
        "ARM010", "safe",
        _template(_output(f"[concat(\\u0027id: \\u0027, resourceId( resourceGroup().name , {VNET}, 'vnet'))]")),
        _template(_output(f"[concat(\\u0027id: \\u0027, resourceId( {VNET}, 'vnet'))]")),
        id="ARM010 offsets through JSON escapes",
    ),
    pytest.param(
        "ARM010", "safe",
        _template(_output(f"[{READER.replace('(', '(subscription().subscriptionId, ', 1)}]")),
        _template(_output(f"[{READER}]")),
        id="ARM010 subscriptionResourceId",
    ),
    pytest.param(
        "ARM018", "safe",
        _template(_NESTED.format(debug=_DEBUG, schema=SCHEMA)),
        _template(_NESTED.format(debug="", schema=SCHEMA)),
        id="ARM018 debugSetting goes with its lines",
    ),
    pytest.param(
        "ARM003", "unsafe",
        _template(
            '  "parameters": {\n    // asked for at deployment\n    "adminPassword": {\n      "type": "securestring",\n'
            '      "defaultValue": "P@ssw0rd1234"\n    }\n  },\n  "resources": []'
        ),
        _template('  "parameters": {\n    // asked for at deployment\n    "adminPassword": {\n      "type": "securestring"\n    }\n  },\n  "resources": []'),
        id="ARM003 the default goes, with its comma",
    ),
    pytest.param(
        "ARM004", "unsafe",
        _template(_SQL_PARAMETERS.format(first="string", second="String")),
        _template(_SQL_PARAMETERS.format(first="securestring", second="secureString")),
        id="ARM004 securestring in the file's casing",
    ),
    pytest.param(
        "ARM014", "safe",
        _template('  "resources": []', schema=SCHEMA.replace("https:", "http:")),
        _template('  "resources": []'),
        id="ARM014 http to https",
    ),
    pytest.param(
        "ARM014", "safe",
        _template(_NESTED.format(debug="", schema=SCHEMA.replace("https:", "http:"))),
        _template(_NESTED.format(debug="", schema=SCHEMA)),
        id="ARM014 in a nested template",
    ),
    pytest.param(
        "ARM014", "unsafe",
        _template('  "resources": []', schema="https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentParameters.json"),
        _template('  "resources": []', schema="https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"),
        id="ARM014 a parameters schema becomes the template schema of its scope",
    ),
    pytest.param(
        "ARM015", "unsafe",
        _template(_resource("Microsoft.Storage/storageAccounts", "{}", api_version="2023-5-1")),
        _template(_resource("Microsoft.Storage/storageAccounts", "{}", api_version="2023-05-01")),
        id="ARM015 month and day padded",
    ),
    pytest.param(
        "ARM015", "unsafe",
        _template(_resource("Microsoft.Storage/storageAccounts", "{}", api_version="2021-6-01-preview")),
        _template(_resource("Microsoft.Storage/storageAccounts", "{}", api_version="2021-06-01-preview")),
        id="ARM015 a preview keeps its suffix",
    ),
    pytest.param(
        "ARM019", "unsafe",
        _template(_resource("Microsoft.Storage/storageAccounts",
                            '{\n        "networkAcls": { "defaultAction": "Deny", "ipRules": [] },\n        "description": ""\n      }')),
        _template(_resource("Microsoft.Storage/storageAccounts", '{\n        "networkAcls": { "defaultAction": "Deny" }\n      }')),
        id="ARM019 blanks go, inline and on their own line",
    ),
    pytest.param(
        "KV003", "unsafe",
        _template(_vault('{\n        "tenantId": "[subscription().tenantId]",\n        "sku": { "family": "A", "name": "standard" },\n'
                         '        "createMode": "recover", // keep the vault\n        "enableRbacAuthorization": true\n      }')),
        _template(_vault('{\n        "tenantId": "[subscription().tenantId]",\n        "sku": { "family": "A", "name": "standard" },\n'
                         '        "enableRbacAuthorization": true\n      }')),
        id="KV003 createMode recover goes with its line and comment",
    ),
    pytest.param(
        "KV006", "unsafe",
        _template(_vault(
            '{\n        "tenantId": "[subscription().tenantId]",\n        "sku": { "family": "A", "name": "standard" },\n'
            f'        "accessPolicies": [ {{ "tenantId": "[parameters(\'tenantId\')]", {_ENTRY} }} ]\n      }}',
            '  "parameters": { "tenantId": { "type": "string", "defaultValue": "[subscription().tenantId]" } },\n',
        )),
        _template(_vault(
            '{\n        "tenantId": "[subscription().tenantId]",\n        "sku": { "family": "A", "name": "standard" },\n'
            f'        "accessPolicies": [ {{ "tenantId": "[subscription().tenantId]", {_ENTRY} }} ]\n      }}',
            '  "parameters": { "tenantId": { "type": "string", "defaultValue": "[subscription().tenantId]" } },\n',
        )),
        id="KV006 the entry's tenant written like the vault's",
    ),
    pytest.param(
        "KV006", "display-only",
        _template(_vault(
            '{\n        "tenantId": "11111111-1111-1111-1111-111111111111",\n        "sku": { "family": "A", "name": "standard" },\n'
            f'        "accessPolicies": [ {{ "tenantId": "22222222-2222-2222-2222-222222222222", {_ENTRY} }} ]\n      }}'
        )),
        _template(_vault(
            '{\n        "tenantId": "11111111-1111-1111-1111-111111111111",\n        "sku": { "family": "A", "name": "standard" },\n'
            f'        "accessPolicies": [ {{ "tenantId": "11111111-1111-1111-1111-111111111111", {_ENTRY} }} ]\n      }}'
        )),
        id="KV006 two different tenants need a decision",
    ),
    pytest.param(
        "IDM002", "display-only",
        _template(_role_assignment("[parameters('roleAssignmentName')]")),
        _template(_role_assignment("[guid(resourceGroup().id, parameters('principalId'), variables('readerRoleId'))]")),
        id="IDM002 a newGuid() name becomes guid(scope, principal, role)",
    ),
    pytest.param(
        "IDM002", "display-only",
        _template(_role_assignment("ra-storage-reader", '\n      "scope": "[format(\'Microsoft.Storage/storageAccounts/{0}\', parameters(\'storageName\'))]",')),
        _template(_role_assignment(
            "[guid(format('Microsoft.Storage/storageAccounts/{0}', parameters('storageName')), parameters('principalId'), variables('readerRoleId'))]",
            '\n      "scope": "[format(\'Microsoft.Storage/storageAccounts/{0}\', parameters(\'storageName\'))]",',
        )),
        id="IDM002 a fixed name on an extension scope",
    ),
    pytest.param(
        "IDM002", "display-only",
        _template(_role_assignment("ra-reader", principal=_IDENTITY_PRINCIPAL)),
        _template(_role_assignment(
            f"[guid(resourceGroup().id, {_IDENTITY}, variables('readerRoleId'))]", principal=_IDENTITY_PRINCIPAL,
        )),
        id="IDM002 a principal from reference() is seeded with the identity's ID",
    ),
    pytest.param(
        "IDM004", "safe",
        _template(_resource("Microsoft.Storage/storageAccounts",
                            '{\n        "isHnsEnabled": false,\n        "minimumTlsVersion": "TLS1_2"\n      }',
                            extra='\n      "kind": "StorageV2",\n      "sku": { "name": "Standard_LRS" },')),
        _template(_resource("Microsoft.Storage/storageAccounts", '{\n        "minimumTlsVersion": "TLS1_2"\n      }',
                            extra='\n      "kind": "StorageV2",\n      "sku": { "name": "Standard_LRS" },')),
        id="IDM004 isHnsEnabled false goes",
    ),
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("rule_id, applicability, before, after", CASES)
def test_rule_fix(rule_id: str, applicability: str, before: str, after: str, newline: str, tmp_path: Path) -> None:
    before, after = before.replace("\n", newline), after.replace("\n", newline)
    findings = _lint(before, rule_id, tmp_path)
    assert findings, f"{rule_id} does not fire"
    fixes = {f.fix for f in findings}
    assert None not in fixes and {f.applicability for f in fixes} == {applicability}  # type: ignore[union-attr]
    fixed = before
    for fix in sorted(fixes, key=lambda f: -f.edits[0].start):  # type: ignore[union-attr]
        fixed = apply_edits(fixed, fix.edits)  # type: ignore[union-attr]
    assert fixed == after
    parse_document(fixed, "fixed.json")
    assert _lint(fixed, rule_id, tmp_path) == []
    if applicability == "display-only":
        assert _fix_loop(before, rule_id, tmp_path) == before  # shown, never applied
    else:
        assert _fix_loop(before, rule_id, tmp_path) == after
        assert _fix_loop(after, rule_id, tmp_path) == after


NOT_FIXED = [
    pytest.param("ARM015", _template(_resource("Microsoft.Storage/storageAccounts", "{}", api_version="2099-01-01")), id="ARM015 a future date"),
    pytest.param("ARM015", _template(_resource("Microsoft.Storage/storageAccounts", "{}", api_version="2023-13-01")), id="ARM015 not a date"),
    pytest.param("ARM014", _template('  "resources": []', schema="https://example.com/template.json"), id="ARM014 an unknown schema"),
    pytest.param(
        "ARM004",
        _template('  "definitions": { "text": { "type": "string" } },\n  "parameters": { "adminPassword": { "$ref": "#/definitions/text" } },\n'
                  '  "resources": []'),
        id="ARM004 a type from $ref",
    ),
    pytest.param(
        "KV003",
        _template(_vault('{ "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" }, '
                         '"enableRbacAuthorization": true, "createMode": "[if(parameters(\'exists\'), \'recover\', \'default\')]" }',
                         '  "parameters": { "exists": { "type": "bool", "defaultValue": true } },\n')),
        id="KV003 an expression",
    ),
    pytest.param(
        "IDM004",
        _template(_resource("Microsoft.Storage/storageAccounts", '{ "isHnsEnabled": true }',
                            extra='\n      "kind": "StorageV2",\n      "sku": { "name": "Standard_LRS" },')),
        id="IDM004 true is a decision",
    ),
    pytest.param(
        "IDM002",
        _template(_role_assignment("ra-reader", principal="[reference('uami').principalId]")),
        id="IDM002 a principal from reference() by name does not change with it",
    ),
    pytest.param(
        "ARM010",
        _template('  "resources": [],\n  "outputs": { "[resourceId(resourceGroup().name, \'Microsoft.Network/virtualNetworks\', \'vnet\')]": '
                  '{ "type": "string", "value": "x" } }'),
        id="ARM010 in a property name",
    ),
]


@pytest.mark.parametrize("rule_id, text", NOT_FIXED)
def test_no_obvious_edit_no_fix(rule_id: str, text: str, tmp_path: Path) -> None:
    findings = _lint(text, rule_id, tmp_path)
    assert findings and all(f.fix is None for f in findings)


def test_idm002_fix_says_why_it_is_not_applied(tmp_path: Path) -> None:
    (finding,) = _lint(_template(_role_assignment("[parameters('roleAssignmentName')]")), "IDM002", tmp_path)
    assert finding.fix is not None and "RoleAssignmentExists" in finding.fix.title


# --- the command ----------------------------------------------------------------------------------

def test_fix_applies_safe_fixes_and_unsafe_ones_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "azuredeploy.json"
    text = _template(_resource("Microsoft.Storage/storageAccounts",
                               '{\n        "isHnsEnabled": false,\n        "description": ""\n      }',
                               extra='\n      "kind": "StorageV2",\n      "sku": { "name": "Standard_LRS" },',
                               api_version="2023-5-01"))
    path.write_text(text, encoding="utf-8")
    assert main(["fix", str(path)]) == 1  # the unsafe ones are left: ARM015 is an error
    out, err = capsys.readouterr()
    assert '-        "isHnsEnabled": false,\n' in out  # safe: applied
    assert '-        "description": ""' not in out and '-      "apiVersion"' not in out  # unsafe: not applied
    assert "ARM015" in err and "ARM019" in err and "pass --unsafe-fixes" in err
    main(["fix", str(path), "--unsafe-fixes"])
    out, err = capsys.readouterr()
    assert '-      "apiVersion": "2023-5-01",\n+      "apiVersion": "2023-05-01",\n' in out
    assert '-        "isHnsEnabled": false,\n' in out and '-        "description": ""\n' in out
    assert "applied: Set apiVersion to 2023-05-01" in err
    assert path.read_text(encoding="utf-8") == text  # --diff leaves the file alone


def test_fix_shows_display_only_fixes_without_applying_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "azuredeploy.json"
    path.write_text(_template(_role_assignment("[parameters('roleAssignmentName')]")), encoding="utf-8")
    assert main(["fix", str(path), "--unsafe-fixes"]) == 1
    out, err = capsys.readouterr()
    assert "display-only, not applied: Name the role assignment" in err
    assert "(not applied: display-only)" in out
    assert "+      \"name\": \"[guid(resourceGroup().id, parameters('principalId'), variables('readerRoleId'))]\",\n" in out


def test_a_fix_in_a_linked_template_is_not_spliced_into_the_main_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "vault.json").write_text(_template(_vault(
        '{ "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" }, '
        '"enableRbacAuthorization": true, "enablePurgeProtection": false }')), encoding="utf-8")
    main_text = _template(
        '  "resources": [\n    {\n      "type": "Microsoft.Resources/deployments",\n      "apiVersion": "2022-09-01",\n'
        '      "name": "inner",\n      "properties": { "mode": "Incremental", "templateLink": { "relativePath": "vault.json" } }\n    }\n  ]'
    )
    path = tmp_path / "main.json"
    path.write_text(main_text, encoding="utf-8")
    assert main(["fix", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"its fix is in {tmp_path / 'vault.json'}: run fix on that file" in err


# --- the edit helpers -----------------------------------------------------------------------------


def test_remove_member_keeps_crlf_and_comments() -> None:
    text = '{\r\n  "a": 1, // one\r\n  "b": 2,\r\n  /* c */ "c": 3\r\n}'
    document = parse_document(text)
    assert apply_edits(text, remove_member(document, ("b",))) == '{\r\n  "a": 1, // one\r\n  /* c */ "c": 3\r\n}'
    # A comment before the last member stays: only the member and its comma go.
    assert apply_edits(text, remove_member(document, ("c",))) == '{\r\n  "a": 1, // one\r\n  "b": 2\r\n  /* c */ \r\n}'
    assert remove_member(document, ("missing",)) == ()
    with pytest.raises(ValueError):
        remove_member(document, ())


def test_replace_value_and_replace_in_string() -> None:
    text = '{\n  "name": "[concat(\\u0027a\\u0027, \'b\')]",\n  "n": 1\n}'
    document = parse_document(text)
    assert apply_edits(text, replace_value(document, ("n",), "two")) == '{\n  "name": "[concat(\\u0027a\\u0027, \'b\')]",\n  "n": "two"\n}'
    decoded = document.value["name"]
    start = decoded.index("'b'")
    edited = apply_edits(text, replace_in_string(document, ("name",), (start, start + 3), '"b"'))
    assert edited == '{\n  "name": "[concat(\\u0027a\\u0027, \\"b\\")]",\n  "n": 1\n}'
    assert replace_in_string(document, ("n",), (0, 1), "x") == ()


def test_sample_templates_fix_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every sample template: the fix loop with unsafe fixes settles, and what it writes parses."""
    root = Path(__file__).resolve().parents[2] / "templates"
    for template in sorted(root.glob("*/azuredeploy*.json")):
        if template.name.endswith(".parameters.json"):
            continue
        text = template.read_text(encoding="utf-8-sig")
        request = FixRequest(template=str(template), text=text, fill_missing=True, unsafe=True)
        outcome = fix_template(request)
        assert outcome.converged, template
        parse_document(outcome.template_text, os.fspath(template))
        assert fix_template(FixRequest(template=str(template), text=outcome.template_text, fill_missing=True,
                                       unsafe=True)).template_text == outcome.template_text, template
