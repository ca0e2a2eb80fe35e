"""Loading policy files: schema validation errors at the policy file's own line and column."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from validator.policies import PolicyError, load_policies, policy_schema
from validator.policies.paths import PATH_PATTERN
from validator.rules import ALL_RULES, RESERVED

GOOD = """\
policies:
  - id: POL-T-001
    name: storage-tls-old
    severity: error
    summary: a storage account that accepts old TLS
    remedy: set properties.minimumTlsVersion to TLS1_2
    resourceType: Microsoft.Storage/storageAccounts
    evaluation:
      path: properties.minimumTlsVersion
      equals: TLS1_2
"""


def errors_of(tmp_path: Path, text: str, name: str = "team.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([str(path)])
    prefix = str(path)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(prefix + ":") for line in lines), lines
    return [line[len(prefix) + 1 :] for line in lines]


def test_a_valid_file_loads(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(GOOD, encoding="utf-8")
    [rule] = load_policies([str(tmp_path)])
    assert (rule.id, rule.name, rule.severity, rule.resource_types) == (
        "POL-T-001",
        "storage-tls-old",
        "error",
        ("microsoft.storage/storageaccounts",),
    )


def test_yaml_schema_errors_at_line_and_column(tmp_path: Path) -> None:
    text = """\
        policies:
          - id: KV001
            name: Bad_Name
            severity: warn
            summary: a vault
            resourceType: [Microsoft.KeyVault/vaults, vaults]
            colour: red
            evaluation:
              allOf:
                - path: properties.enableSoftDelete
                - path: properties..x
                  equals: 1
                - path: a
                  equal: 2
                - {}
                - path: c
                  greater: yesterday
                - anyOf: []
                  not: {path: a, exists: true}
                - path: d
                  in: [[1]]
        """
    assert errors_of(tmp_path, text) == [
        "2:5: error: missing 'remedy'",
        (
            "2:9: error: policy ids are upper-case letters and digits with a hyphen before the final number, such as "
            "POL-KV-001 (built-in ids such as KV001 have no hyphen, so the two never collide)"
        ),
        "3:11: error: policy names are kebab-case and say what is wrong, such as keyvault-purge-protection-off",
        "4:15: error: 'warn' is not one of ['error', 'warning', 'note']",
        "6:47: error: 'vaults' is not a resource type such as Microsoft.KeyVault/vaults",
        (
            "7:5: error: unknown key 'colour'; expected one of description, evaluation, id, includeConditional, message, "
            "name, references, remedy, resourceType, severity, summary, where"
        ),
        (
            "10:11: error: a condition with `path` needs one operator: exists, hasValue, equals, notEquals, in, regex, "
            "less, lessOrEquals, greater, greaterOrEquals"
        ),
        (
            "11:17: error: 'properties..x' is not a path: write dotted property names, with [N] or [*] after a name for "
            "arrays, such as properties.accessPolicies[*].objectId"
        ),
        (
            "14:11: error: unknown operator 'equal'; use one of exists, hasValue, equals, notEquals, in, regex, less, "
            "lessOrEquals, greater, greaterOrEquals"
        ),
        "15:11: error: an empty condition: write `path` with one operator, or one of allOf, anyOf, not",
        "17:20: error: 'yesterday' is neither a number nor a date (yyyy-mm-dd)",
        "18:11: error: a condition takes one of allOf, anyOf, not; nest them to combine",
        "18:18: error: [] should be non-empty",
        "21:16: error: [1] is not of type 'string', 'number', 'boolean', 'null'",
    ]


def test_json_schema_errors_at_line_and_column(tmp_path: Path) -> None:
    text = """\
        {
          "$schema": "../validator/policies/policy.schema.json",
          "policies": [
            {
              "id": "POL-J-001", "name": "json-policy", "severity": "note",
              "summary": "a thing", "remedy": "do it",
              "resourceType": "Microsoft.Web/sites",
              "evaluation": { "path": "properties.httpsOnly", "equals": true, "exists": true },
              "where": { "allOf": [ { "path": "kind", "regex": 5 } ] }
            }
          ]
        }
        """
    assert errors_of(tmp_path, text, "team.json") == [
        "8:21: error: a condition with `path` takes exactly one operator; combine several with allOf or anyOf",
        "9:56: error: 5 is not of type 'string'",
    ]


def test_problems_found_while_compiling_are_located_too(tmp_path: Path) -> None:
    text = GOOD.replace("      equals: TLS1_2\n", "      regex: '(TLS'\n")
    assert errors_of(tmp_path, text) == [
        "10:14: error: invalid regular expression /(TLS/: missing ), unterminated subpattern at position 0"
    ]
    text = GOOD.replace("      equals: TLS1_2\n", "      less: 2023-02-30\n")
    assert errors_of(tmp_path, text) == [
        "10:13: error: '2023-02-30' is not a date: write yyyy-mm-dd, or compare with a number"
    ]
    text = GOOD + "    message: '{name} uses {tls}'\n"
    assert errors_of(tmp_path, text) == [
        "11:14: error: unknown placeholder {tls} in the message; available: {name}, {type}, {path}, {value}, {reason}"
    ]
    text = GOOD + "    message: '{name'\n"
    assert errors_of(tmp_path, text)[0].startswith("11:14: error: the message is not a valid template")


def test_unquoted_dates_stay_strings(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(
        GOOD.replace("      equals: TLS1_2\n", "      greaterOrEquals: 2023-01-01\n"), encoding="utf-8"
    )
    [rule] = load_policies([str(tmp_path / "team.yaml")])
    assert rule.policy.evaluation.expected == "2023-01-01"  # type: ignore[attr-defined]


def test_yaml_syntax_errors_and_duplicate_keys(tmp_path: Path) -> None:
    assert errors_of(tmp_path, "policies:\n  - id: [POL-1\n") == [
        "3:1: error: invalid YAML: expected ',' or ']', but got '<stream end>'"
    ]
    assert errors_of(tmp_path, GOOD + "    severity: note\n") == ["11:5: error: duplicate key 'severity'"]
    assert errors_of(tmp_path, "") == ["1:1: error: a policy file is a mapping with a `policies` list"]


def test_json_syntax_errors(tmp_path: Path) -> None:
    [error] = errors_of(tmp_path, '{"policies": [\n  {"id": "POL-1",,}\n]}\n', "team.json")
    assert error.startswith("2:18: error: ")


def test_ids_and_names_are_unique_across_files_and_built_ins(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD.replace("storage-tls-old", "other-name"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(GOOD.replace("POL-T-001", "POL-T-002"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([str(tmp_path)])
    a, b, c = (str(tmp_path / n) for n in ("a.yaml", "b.yaml", "c.yaml"))
    assert str(caught.value).splitlines() == [
        f"{b}:2:9: error: the id 'POL-T-001' is already taken by the policy at {a}:2:9",
        f"{c}:3:11: error: the name 'storage-tls-old' is already taken by the policy at {a}:3:11",
    ]
    builtin = ALL_RULES[0]
    (tmp_path / "d.yaml").write_text(GOOD.replace("storage-tls-old", builtin.name), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([str(tmp_path / "d.yaml")])
    assert str(caught.value).endswith(
        f"d.yaml:3:11: error: the name '{builtin.name}' is already taken by the built-in rule {builtin.id}"
    )


def test_paths_that_are_not_policy_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "README.md").write_text("# policies", encoding="utf-8")  # skipped inside a folder
    with pytest.raises(PolicyError) as caught:
        load_policies([str(tmp_path / "missing"), str(tmp_path / "notes.txt"), str(tmp_path)])
    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'missing'}:0:0: error: no such policy file or folder",
        f"{tmp_path / 'notes.txt'}:1:1: error: not a policy file: policies are .yaml, .yml or .json files",
    ]
    assert load_policies([str(tmp_path)]) == []


def test_the_schema_is_valid_and_shares_the_path_grammar() -> None:
    import jsonschema

    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["leaf"]["properties"]["path"]["pattern"] == PATH_PATTERN


def test_policy_ids_can_never_take_a_built_in_id() -> None:
    pattern = re.compile(policy_schema()["$defs"]["policy"]["properties"]["id"]["pattern"])
    for rule in (*ALL_RULES, *RESERVED):
        assert not pattern.match(rule.id), rule.id
    assert pattern.match("POL-KV-001") and pattern.match("CONTOSO-12")


def test_the_json_schema_is_shipped_as_package_data() -> None:
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"**/*.json"' in pyproject
    assert json.loads(
        (Path(__file__).resolve().parents[2] / "validator" / "policies" / "policy.schema.json").read_text()
    )["$defs"]


def test_a_json_policy_file_loads_like_yaml(tmp_path: Path) -> None:
    import yaml

    data = {"$schema": "../validator/policies/policy.schema.json", **yaml.safe_load(GOOD)}
    (tmp_path / "team.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    [rule] = load_policies([str(tmp_path / "team.json")])
    assert rule.id == "POL-T-001"
    assert f"A policy from `{tmp_path / 'team.json'}:4:5`" in rule.documentation()
