"""The RBAC fix for KV001 (`--strategy rbac`): display-only, shown and never applied; the roles
that replace each access policy."""
from __future__ import annotations

from pathlib import Path

import pytest

from validator.cli import main
from validator.config import Config
from validator.expressions.values import Unknown
from validator.fixes.edits import apply_edits
from validator.fixes.engine import FixRequest, fix_template, lint_document
from validator.fixes.rbac import ADMINISTRATOR, ROLES_BY_CATEGORY, roles_for
from validator.source import parse_document

KV001_ONLY = Config(select=["KV001"])

TEMPLATE = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "vaultName": { "type": "string", "defaultValue": "kv-one" },
    "appId": { "type": "string", "defaultValue": "11111111-2222-3333-4444-555555555555" }
  },
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "[parameters('vaultName')]",
      "location": "[resourceGroup().location]",
      "properties": {
        "tenantId": "[subscription().tenantId]",
        "sku": { "family": "A", "name": "standard" },
        "accessPolicies": [
          {
            "tenantId": "[subscription().tenantId]",
            "objectId": "[parameters('appId')]",
            "permissions": { "secrets": ["Get", "List"], "keys": ["get", "wrapKey", "unwrapKey"] }
          },
          {
            "tenantId": "[subscription().tenantId]",
            "objectId": "99999999-0000-0000-0000-000000000000",
            "permissions": { "keys": ["all"], "secrets": ["all"], "certificates": ["all"], "storage": ["get"] }
          }
        ]
      }
    }
  ]
}
"""


def names(permissions: object) -> list[str]:
    return [role.name for role in roles_for(permissions)[0]]


@pytest.mark.parametrize("permissions, expected", [
    ({"secrets": ["get", "list"]}, ["Key Vault Secrets User"]),
    ({"secrets": ["List"]}, ["Key Vault Reader"]),
    ({"secrets": ["get", "set"]}, ["Key Vault Secrets Officer"]),
    ({"keys": ["get", "list", "wrapKey", "unwrapKey"]}, ["Key Vault Crypto Service Encryption User"]),
    ({"keys": ["get", "sign", "verify"]}, ["Key Vault Crypto User"]),
    ({"keys": ["create"]}, ["Key Vault Crypto Officer"]),
    ({"keys": ["all"]}, ["Key Vault Crypto Officer"]),
    ({"certificates": ["get", "list"]}, ["Key Vault Reader"]),
    ({"certificates": ["import"]}, ["Key Vault Certificates Officer"]),
    ({"keys": ["get"], "secrets": ["list"], "certificates": []}, ["Key Vault Reader"]),
    ({"keys": ["all"], "secrets": ["delete"], "certificates": ["create"]}, ["Key Vault Administrator"]),
    ({"keys": ["decrypt"], "secrets": ["get"]}, ["Key Vault Crypto User", "Key Vault Secrets User"]),
])
def test_each_policy_gets_the_least_privileged_roles_that_cover_it(permissions: object, expected: list[str]) -> None:
    assert names(permissions) == expected


def test_what_no_role_covers_is_said_not_guessed() -> None:
    roles, notes = roles_for({"storage": ["get", "list"], "secrets": ["get"]})
    assert [r.name for r in roles] == ["Key Vault Secrets User"]
    assert notes == ("no built-in Key Vault role covers storage permissions (get, list): use a custom role",)
    assert roles_for({"secrets": Unknown("parameters('p')")}) == ((), ("its secrets permissions are only known at deployment: assign that role by hand",))


def test_role_definition_ids_are_the_documented_ones() -> None:
    # learn.microsoft.com/azure/key-vault/general/rbac-guide, "Azure built-in roles for Key Vault data plane operations".
    documented = {
        "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
        "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
        "Key Vault Certificates Officer": "a4417e6f-fecd-4de8-b567-7b0420556985",
        "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
        "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
        "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    }
    used = {r.name: r.definition_id for roles in ROLES_BY_CATEGORY.values() for r in roles} | {ADMINISTRATOR.name: ADMINISTRATOR.definition_id}
    assert used == documented


def request(text: str = TEMPLATE) -> FixRequest:
    return FixRequest(template="inline.json", text=text, config=KV001_ONLY, fill_missing=True, strategy="rbac")


def test_the_fix_is_display_only_and_never_applied() -> None:
    outcome = fix_template(request())
    assert outcome.template_text == TEMPLATE and outcome.applied == []
    (proposal,) = outcome.display_only
    assert proposal.applicability == "display-only"
    assert proposal.title == "Switch the vault 'kv-one' to RBAC authorization with 3 role assignments replacing its access policies"
    assert [(f.rule_id, why) for f, why in outcome.unfixable] == [("KV001", "its fix is display-only: see the proposed change")]


def test_the_proposal_switches_the_vault_and_assigns_the_roles_on_it() -> None:
    proposal = fix_template(request()).display_only[0]
    proposed = apply_edits(TEMPLATE, proposal.edits)
    value = parse_document(proposed).value
    vault, *assignments = value["resources"]
    assert vault["properties"]["enableRbacAuthorization"] is True
    assert vault["properties"]["accessPolicies"] == parse_document(TEMPLATE).value["resources"][0]["properties"]["accessPolicies"]
    secrets_user = "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')]"
    assert assignments[0] == {
        "type": "Microsoft.Authorization/roleAssignments",
        "apiVersion": "2022-04-01",
        "scope": "[format('Microsoft.KeyVault/vaults/{0}', parameters('vaultName'))]",
        "name": f"[guid(resourceId('Microsoft.KeyVault/vaults', parameters('vaultName')), parameters('appId'), {secrets_user[1:-1]})]",
        "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"],
        "properties": {
            "roleDefinitionId": secrets_user,
            "principalId": "[parameters('appId')]",
            "description": "Key Vault Secrets User: replaces access policy 1 of this vault",
        },
    }
    assert [(a["properties"]["principalId"], a["properties"]["description"].split(":")[0]) for a in assignments] == [
        ("[parameters('appId')]", "Key Vault Secrets User"),
        ("[parameters('appId')]", "Key Vault Crypto Service Encryption User"),
        ("99999999-0000-0000-0000-000000000000", "Key Vault Administrator"),
    ]
    assert "'99999999-0000-0000-0000-000000000000'" in assignments[2]["name"]
    # The explanation is in the proposal, above the vault.
    for said in ("display-only (not applied)", "Owner or User Access Administrator", "Migration window",
                 "Policies added outside this template", "must be migrated too",
                 "Access policy 2: Key Vault Administrator; no built-in Key Vault role covers storage permissions (get)"):
        assert said in proposed
    # Everything else is kept, and the proposal no longer redeploys an access-policy vault.
    assert [line for line in TEMPLATE.splitlines() if line not in proposed.splitlines()] == ["        ]"]  # now "],"
    findings, expansion = lint_document(parse_document(proposed, "inline.json"), request(proposed), None)
    assert not any(f.rule_id == "KV001" for f in findings)
    assert [r.type for r in expansion.resources].count("Microsoft.Authorization/roleAssignments") == 3


def test_language_version_2_gets_symbolic_names_and_an_existing_switch_is_turned_on() -> None:
    text = (TEMPLATE.replace('"contentVersion"', '"languageVersion": "2.0",\n  "contentVersion"')
            .replace('"resources": [\n    {', '"resources": {\n    "vault": {').replace("    }\n  ]\n}", "    }\n  }\n}")
            .replace('"accessPolicies": [', '"enableRbacAuthorization": false,\n        "accessPolicies": ['))
    proposal = fix_template(request(text)).display_only[0]
    value = parse_document(apply_edits(text, proposal.edits)).value
    assert list(value["resources"]) == ["vault", "vaultSecretsUser1", "vaultCryptoServiceEncryptionUser1", "vaultAdministrator2"]
    assert value["resources"]["vaultSecretsUser1"]["dependsOn"] == ["vault"]
    assert value["resources"]["vault"]["properties"]["enableRbacAuthorization"] is True


def test_a_copy_loop_is_not_proposed() -> None:
    text = TEMPLATE.replace('"type": "Microsoft.KeyVault/vaults",', '"copy": { "name": "vaults", "count": 2 },\n      "type": "Microsoft.KeyVault/vaults",')
    text = text.replace("\"name\": \"[parameters('vaultName')]\"", "\"name\": \"[format('kv{0}', copyIndex())]\"")
    outcome = fix_template(request(text))
    assert outcome.display_only == []
    assert {why for _, why in outcome.unfixable} == {"the vault is a copy loop: write its role assignments by hand"}


def test_the_command_shows_the_proposal_labelled_and_leaves_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "azuredeploy.json"
    path.write_text(TEMPLATE, encoding="utf-8")
    assert main(["fix", str(path), "--strategy", "rbac", "--write"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"--- a/{path}\n+++ b/{path} (not applied: display-only)\n")
    assert '+        "enableRbacAuthorization": true\n' in captured.out
    assert "display-only, not applied: Switch the vault 'kv-one' to RBAC authorization" in captured.err
    assert path.read_text(encoding="utf-8") == TEMPLATE


def test_one_assignment_per_principal_and_role() -> None:
    text = TEMPLATE.replace('"objectId": "99999999-0000-0000-0000-000000000000"', "\"objectId\": \"[parameters('appId')]\"").replace(
        '"keys": ["all"], "secrets": ["all"], "certificates": ["all"], "storage": ["get"]', '"secrets": ["get"]')
    proposal = fix_template(request(text)).display_only[0]
    assignments = parse_document(apply_edits(text, proposal.edits)).value["resources"][1:]
    assert [a["properties"]["description"] for a in assignments] == [
        "Key Vault Secrets User: replaces access policy 1 of this vault",
        "Key Vault Crypto Service Encryption User: replaces access policy 1 of this vault",
    ]
