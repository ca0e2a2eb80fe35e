"""Who loses what when a template's access policies replace a live vault's (validator.rules.live.permissions),
the live rules' documentation, and that no secret reaches a live rule's message."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_live_rule_cases import run_case

from validator.expressions.values import Unknown
from validator.rules.base import DOC_SECTIONS
from validator.rules.live import RULES
from validator.rules.live.permissions import (
    PERMISSIONS,
    losses,
    ordered,
    permission_set,
    template_entries,
)

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OBJECT = "aaaaaaaa-0000-0000-0000-000000000001"


def entry(permissions: dict[str, Any], object_id: Any = OBJECT, tenant: Any = TENANT, application: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"tenantId": tenant, "objectId": object_id, "permissions": permissions}
    if application is not None:
        out["applicationId"] = application
    return out


def test_all_expands_to_the_enum_of_its_kind() -> None:
    assert permission_set("secrets", ["All"]) == {*PERMISSIONS["secrets"], "all"}
    assert permission_set("keys", ["WrapKey", "get"]) == {"wrapkey", "get"}
    assert isinstance(permission_set("keys", Unknown("[parameters('keys')]")), Unknown)


def test_permissions_are_listed_in_enum_order_and_spelling() -> None:
    assert ordered("keys", {"unwrapkey", "get", "wrapkey"}) == ["wrapKey", "unwrapKey", "get"]
    assert ordered("secrets", set(PERMISSIONS["secrets"]) | {"legacyop"}) == ["all", "legacyop"]


def test_live_all_is_kept_by_an_explicit_full_list_and_case_does_not_matter() -> None:
    sent = template_entries([entry({"secrets": [p.upper() for p in PERMISSIONS["secrets"]]}, OBJECT.upper())])
    assert losses([entry({"secrets": ["all"]})], sent, compare_tenant=True) == []


def test_template_all_keeps_permissions_newer_than_the_enum() -> None:
    sent = template_entries([entry({"keys": ["all"]})])
    assert losses([entry({"keys": ["get", "someNewOperation"]})], sent, compare_tenant=True) == []


def test_application_id_is_part_of_the_identity() -> None:
    sent = template_entries([entry({"secrets": ["get"]})])
    [loss] = losses([entry({"secrets": ["get"]}, application="bbbbbbbb-0000-0000-0000-000000000002")], sent, True)
    assert loss.everything and loss.certain and loss.lost == {"secrets": {"get"}}


def test_tenant_is_compared_only_when_the_template_tenant_is_known() -> None:
    sent = template_entries([entry({"secrets": ["get"]}, tenant="33333333-0000-0000-0000-000000000003")])
    live = [entry({"secrets": ["get", "list"]})]
    [loss] = losses(live, sent, compare_tenant=True)
    assert loss.lost == {"secrets": {"get", "list"}}
    [partial] = losses(live, sent, compare_tenant=False)
    assert partial.lost == {"secrets": {"list"}} and not partial.everything


def test_unknown_identity_or_permissions_make_the_loss_uncertain_never_a_match() -> None:
    unknown_object = template_entries([entry({"secrets": ["get"]}, Unknown("reference('mlw').identity.principalId"))])
    [loss] = losses([entry({"secrets": ["get"]})], unknown_object, True)
    assert not loss.certain and loss.uncertain_entries == [0] and loss.lost == {"secrets": {"get"}}
    unknown_permissions = template_entries([entry({"secrets": Unknown("parameters('secretPermissions')")})])
    [loss] = losses([entry({"secrets": ["get"], "keys": ["list"]})], unknown_permissions, True)
    assert not loss.certain and loss.unknown_permissions == [0]


def test_a_live_entry_without_permissions_loses_nothing() -> None:
    assert losses([entry({"secrets": []})], [], True) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_live_rule_metadata_and_doc_sections(rule: Any) -> None:
    assert re.fullmatch(r"[A-Z]{2,4}1\d{2}", rule.id)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary and rule.remedy and rule.severity == "error"
    headings = re.findall(r"^## (.+)$", rule.documentation(), re.MULTILINE)
    assert headings[: len(DOC_SECTIONS)] == list(DOC_SECTIONS)


def test_a_secure_object_id_is_named_never_shown(tmp_path: Path) -> None:
    secret = "5ecre7ab-0000-0000-0000-000000000000"
    vault_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    case = {
        "parameters": {"opsObjectId": secret},
        "template": """{
          "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
          "contentVersion": "1.0.0.0",
          "parameters": { "opsObjectId": { "type": "secureString" } },
          "resources": [ { "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv", "location": "westeurope",
            "properties": { "tenantId": "[subscription().tenantId]", "sku": { "family": "A", "name": "standard" },
              "accessPolicies": [ { "tenantId": "[subscription().tenantId]", "objectId": "[parameters('opsObjectId')]",
                                    "permissions": { "secrets": ["get"] } } ] } } ]
        }""",
        "state": {"resources": [{"id": vault_id, "status": "found", "body": {"properties": {"accessPolicies": [
            {"tenantId": TENANT, "objectId": OBJECT, "permissions": {"secrets": ["get"]}}]}}}]},
    }
    [finding] = run_case("KV101", case, tmp_path)
    assert secret not in finding.message
    assert "`[parameters('opsObjectId')]`" in finding.message and "may lose" in finding.message
