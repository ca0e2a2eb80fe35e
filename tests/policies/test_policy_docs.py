"""`arm-validator rule POL-...` and `arm-validator rules` with policies: a policy's documentation
in the shape of a built-in rule's, its conditions in words, found through --policies or the config."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from policy_helpers import REPO

from validator.cli import main
from validator.policies import load_policies
from validator.policies.conditions import compile_condition, describe
from validator.rules import ALL_RULES, RESERVED

PACKS = REPO / "policies"

TEAM = textwrap.dedent(
    """\
    policies:
      - id: CONTOSO-TAG-001
        name: resource-owner-tag-missing
        severity: note
        summary: a resource without an owner tag
        remedy: add tags.owner with the owning team's alias
        description: Without an owner, nobody answers for the resource during an incident.
        references: [https://contoso.example/wiki/tags]
        resourceType: [Microsoft.Storage/storageAccounts, Microsoft.KeyVault/vaults]
        where: {not: {path: tags.env, in: [dev, test]}}
        evaluation: {path: tags.owner, hasValue: true}
    """
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_shipped_policy_prints_its_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rule", "POL-ST-001", "--policies", str(PACKS))
    assert (code, err) == (0, "")
    source = f"{PACKS / 'storage.yaml'}:3:5"
    # the same shape as `arm-validator rule KV004`: header, summary and severity, then the sections
    assert out.startswith(
        "# POL-ST-001 (storage-https-not-enforced)\n\n"
        "A storage account that accepts plain HTTP. Severity: error.\n\n"
        "## What it does\n"
        f"A policy from `{source}`. Checks every deployed resource of type `Microsoft.Storage/storageAccounts` "
        "for which this holds:\n\n"
        "- `properties.isNfsV3Enabled` does not equal `true`\n\n"
        "Reports each one for which this does not hold:\n\n"
        "- any of:\n"
        "  - `properties.supportsHttpsTrafficOnly` equals `true`\n"
        "  - all of:\n"
        "    - `properties.supportsHttpsTrafficOnly` is not set\n"
        "    - `apiVersion` is at least `'2019-04-01'`\n"
    )
    assert "## Why is this bad?\nWith secure transfer off, the account accepts requests over plain HTTP" in out
    assert "## Use instead\nSet properties.supportsHttpsTrafficOnly to true.\n" in out
    assert "## References\n- https://learn.microsoft.com/azure/storage/common/storage-require-secure-transfer" in out
    assert [line for line in out.splitlines() if line.startswith("## ")] == [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## References",
    ]


def test_ids_are_matched_in_any_case_and_built_in_rules_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rule", "pol-kv-004", "--policies", str(PACKS))
    assert code == 0 and out.startswith("# POL-KV-004 (keyvault-access-policy-grants-purge)\n")
    assert (
        "  - every `properties.accessPolicies[*].permissions.secrets[*]` matches `/^(?!(purge|all)$)/` "
        "(true when there is none)\n"
    ) in out
    code, out, _ = run(capsys, "rule", "KV004", "--policies", str(PACKS))
    assert code == 0 and out.startswith("# KV004 (keyvault-purge-protection-false)\n")


def test_an_unknown_id_exits_2_and_names_near_matches(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "rule", "POL-KV-009", "--policies", str(PACKS))
    assert (code, out) == (2, "")
    assert err == (
        "error: no rule or policy 'POL-KV-009'; near matches: POL-KV-004, POL-KV-003, POL-KV-002, POL-KV-001, "
        "POL-ST-003 ('arm-validator rules' lists them all)\n"
    )
    code, _, err = run(capsys, "rule", "POL-KV", "--policies", str(PACKS))  # a prefix lists what it starts
    assert code == 2 and "near matches: POL-KV-001, POL-KV-002, POL-KV-003, POL-KV-004 (" in err
    code, _, err = run(capsys, "rule", "KV0O4")
    assert code == 2 and err.startswith("error: no rule or policy 'KV0O4'; near matches: ") and "KV004" in err


def test_a_policy_id_without_policies_says_how_to_load_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()  # config discovery stops here
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "rule", "POL-KV-001")
    assert code == 2
    assert "no policies are loaded: pass --policies DIR, or list them under `policies` in the config file" in err


def test_policies_of_the_config_file_are_found(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "tags.yaml").write_text(TEAM, encoding="utf-8")
    (tmp_path / ".arm-validator.yaml").write_text("policies: [team/]\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    project = tmp_path / "infra"
    project.mkdir()
    monkeypatch.chdir(project)  # the nearest config, found upwards
    code, out, err = run(capsys, "rule", "CONTOSO-TAG-001")
    assert (code, err) == (0, "")
    source = f"{tmp_path / 'team' / 'tags.yaml'}:2:5"
    assert out == (
        "# CONTOSO-TAG-001 (resource-owner-tag-missing)\n\n"
        "A resource without an owner tag. Severity: note.\n\n"
        "## What it does\n"
        f"A policy from `{source}`. Checks every deployed resource of type `Microsoft.Storage/storageAccounts` "
        "or `Microsoft.KeyVault/vaults` for which this holds:\n\n"
        "- `tags.env` is not one of `'dev'`, `'test'`\n\n"
        "Reports each one for which this does not hold:\n\n"
        "- `tags.owner` has a value\n\n"
        "A value known only at deploy time (`reference()`, a secure parameter, ...) never produces a finding.\n\n"
        "## Why is this bad?\nWithout an owner, nobody answers for the resource during an incident.\n\n"
        "## Example\nThe policy as written in its file:\n\n```json\n"
        + json.dumps(
            {
                "resourceType": ["Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults"],
                "where": {"not": {"path": "tags.env", "in": ["dev", "test"]}},
                "evaluation": {"path": "tags.owner", "hasValue": True},
            },
            indent=2,
        )
        + "\n```\n\n"
        "## Use instead\nAdd tags.owner with the owning team's alias.\n\n"
        "## References\n- https://contoso.example/wiki/tags\n"
    )
    # and through --config from anywhere
    monkeypatch.chdir(REPO)
    code, out, _ = run(capsys, "rule", "CONTOSO-TAG-001", "--config", str(tmp_path / ".arm-validator.yaml"))
    assert code == 0 and out.startswith("# CONTOSO-TAG-001 ")


def test_an_invalid_policy_file_is_reported_at_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEAM.replace("hasValue: true", "hasValues: true"), encoding="utf-8")
    for argv in (["rule", "CONTOSO-TAG-001"], ["rules"]):
        code, out, err = run(capsys, *argv, "--policies", str(bad))
        assert (code, out) == (2, "")
        assert err.startswith(f"{bad}:11:") and "unknown operator 'hasValues'" in err


def test_rules_lists_the_policies_after_the_built_in_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--policies", str(PACKS / "keyvault.yaml"))
    assert code == 0
    lines = out.splitlines()
    built_in = len(ALL_RULES) + len(RESERVED)
    assert lines[built_in:built_in + 3] == [
        "",
        "policies written as data:",
        (
            "POL-KV-001 warning  keyvault-soft-delete-disabled                 a Key Vault with soft delete turned off  "
            f"({PACKS / 'keyvault.yaml'}:3:5)"
        ),
    ]
    assert [line.split()[0] for line in lines[built_in + 2:]] == ["POL-KV-001", "POL-KV-002", "POL-KV-003", "POL-KV-004"]

    code, out, _ = run(capsys, "rules", "--format", "json", "--policies", str(PACKS / "keyvault.yaml"))
    listed = json.loads(out)
    assert [(e["id"], e["kind"]) for e in listed[built_in - 1:built_in + 1]] == [(RESERVED[-1].id, "reserved"), ("POL-KV-001", "policy")]
    assert listed[0]["kind"] == "rule" and "source" not in listed[0]
    assert listed[-1] == {
        "id": "POL-KV-004",
        "name": "keyvault-access-policy-grants-purge",
        "severity": "warning",
        "summary": "a Key Vault access policy that grants the purge permission",
        "kind": "policy",
        "source": f"{PACKS / 'keyvault.yaml'}:65:5",
    }


def test_rules_without_policies_lists_only_the_built_in_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "policies written as data" not in out
    assert len(out.splitlines()) == len(ALL_RULES) + len(RESERVED)


@pytest.mark.parametrize(
    "condition, words",
    [
        ({"path": "properties.enableSoftDelete", "notEquals": False}, ["- `properties.enableSoftDelete` does not equal `false`"]),
        ({"path": "sku.name", "exists": False}, ["- `sku.name` is not set"]),
        ({"path": "tags.owner", "hasValue": False}, ["- `tags.owner` does not have a value"]),
        ({"path": "properties.minimumTlsVersion", "in": ["TLS1_2", "TLS1_3"]}, ["- `properties.minimumTlsVersion` is one of `'TLS1_2'`, `'TLS1_3'`"]),
        ({"path": "name", "regex": "^kv-"}, ["- `name` matches `/^kv-/`"]),
        ({"path": "properties.softDeleteRetentionInDays", "greater": 7}, ["- `properties.softDeleteRetentionInDays` is greater than `7`"]),
        ({"path": "apiVersion", "less": "2022-01-01"}, ["- `apiVersion` is less than `'2022-01-01'`"]),
        # `not` is pushed down to the leaves
        ({"not": {"path": "sku.name", "equals": "premium"}}, ["- `sku.name` does not equal `'premium'`"]),
        ({"not": {"not": {"path": "sku.name", "exists": True}}}, ["- `sku.name` is set"]),
        (
            {"not": {"anyOf": [{"path": "a", "equals": 1}, {"path": "b", "lessOrEquals": 2}]}},
            ["- all of:", "  - `a` does not equal `1`", "  - `b` is not at most `2`"],
        ),
        (
            {"not": {"allOf": [{"path": "a", "exists": True}, {"not": {"path": "b", "exists": True}}]}},
            ["- any of:", "  - `a` is not set", "  - `b` is set"],
        ),
        # a wildcard holds at every place; negated, it fails at some place
        ({"path": "tags.*", "regex": "^[a-z]+$"}, ["- every `tags.*` matches `/^[a-z]+$/` (true when there is none)"]),
        (
            {"not": {"path": "properties.ipRules[*].value", "equals": "0.0.0.0/0"}},
            ["- some `properties.ipRules[*].value` does not equal `'0.0.0.0/0'` (false when there is none)"],
        ),
        ({"allOf": [{"path": "x", "greaterOrEquals": 1}]}, ["- `x` is at least `1`"]),  # one part: no group
    ],
)
def test_conditions_in_words(condition: dict[str, object], words: list[str]) -> None:
    assert describe(compile_condition(condition, ())) == words


def test_every_shipped_policy_documents_its_conditions_in_words() -> None:
    for rule in load_policies([str(PACKS)]):
        doc = rule.documentation()
        what_it_does = doc.split("## Why is this bad?")[0]
        assert "Reports each one for which this does not hold:\n\n- " in what_it_does, rule.id
        assert "{" not in what_it_does, rule.id  # words, not the JSON of the condition
        written = yaml.safe_load((PACKS / rule.policy.source.split(":")[0].rsplit("/", 1)[-1]).read_text(encoding="utf-8"))
        [definition] = [p for p in written["policies"] if p["id"] == rule.id]
        assert rule.policy.description.strip() == definition["description"].strip()
        for reference in definition["references"]:
            assert f"- {reference}" in doc
