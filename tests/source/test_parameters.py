"""Parameter files of both shapes, Key Vault references, and `--param NAME=VALUE`."""
from __future__ import annotations

import os

import pytest

from validator.source import (
    COMMAND_LINE,
    KeyVaultReference,
    SourceError,
    SourceWarning,
    coerce_cli_value,
    load_parameter_file,
    parse_cli_parameter,
    parse_parameter_text,
    split_cli_parameter,
)

VAULT = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"

STANDARD = """{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "vaultName": { "value": "kv-prod" },
    "SkuCount": { "value": 3 },
    "tags": { "value": { "env": "prod" } },
    "adminPassword": {
      "reference": {
        "keyVault": { "id": "%s" },
        "secretName": "admin",
        "secretVersion": "abc123"
      }
    },
    "other": { "reference": { "keyVault": { "id": "%s" }, "secretName": "s2" } }
  }
}""" % (VAULT, VAULT)


def refused(text: str) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse_parameter_text(text, "p.json")
    return info.value


def test_standard_shape() -> None:
    params = parse_parameter_text(STANDARD, "p.json")
    assert params.path == "p.json" and params.warnings == []
    assert sorted(params.entries) == ["adminpassword", "other", "skucount", "tags", "vaultname"]
    entry = params.entries["skucount"]
    assert (entry.name, entry.value, entry.reference) == ("SkuCount", 3, None)
    assert (entry.location.line, entry.location.column) == (6, 28)
    assert entry.location.json_path == ("parameters", "SkuCount", "value")
    assert params.entries["tags"].value == {"env": "prod"}


def test_key_vault_references() -> None:
    params = parse_parameter_text(STANDARD, "p.json")
    secret = params.entries["adminpassword"]
    assert secret.value is None
    assert secret.reference == KeyVaultReference(VAULT, "admin", "abc123")
    assert secret.location.json_path == ("parameters", "adminPassword")
    assert (secret.location.line, secret.location.column) == (8, 22)
    assert params.entries["other"].reference == KeyVaultReference(VAULT, "s2", None)


def test_bare_shape_as_the_azure_cli_accepts() -> None:
    params = parse_parameter_text('{\n  "location": {"value": "westeurope"},\n  "count": {"value": 2}\n}', "p.json")
    assert {k: e.value for k, e in params.entries.items()} == {"location": "westeurope", "count": 2}
    assert params.entries["count"].location.json_path == ("count", "value")
    assert params.entries["count"].location.line == 3


def test_bare_shape_ignores_schema_and_content_version() -> None:
    text = '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0", "a": {"value": 1}}'
    assert list(parse_parameter_text(text).entries) == ["a"]


def test_comments_and_trailing_commas_in_parameter_files() -> None:
    params = parse_parameter_text('{\n  // dev values\n  "parameters": {\n    "a": {"value": [1, 2,]},\n  },\n}', "p.json")
    assert params.entries["a"].value == [1, 2]
    assert [(w.line, w.column) for w in params.warnings] == [(4, 25), (4, 28), (5, 4)]


def test_entry_without_value_or_reference() -> None:
    err = refused('{"parameters": {\n  "a": {"value": 1},\n  "b": {"defaultValue": 2}\n}}')
    assert (err.path, err.line, err.column) == ("p.json", 3, 8)
    assert err.message == "parameter 'b' needs a 'value' or a Key Vault 'reference'"


def test_entry_that_is_not_an_object() -> None:
    err = refused('{"parameters": {"a": 5}}')
    assert (err.line, err.column, err.message) == (1, 22, "parameter 'a' must be an object with 'value' or 'reference'")


def test_entry_with_both_value_and_reference() -> None:
    err = refused('{"parameters": {"a": {"value": 1, "reference": {}}}}')
    assert err.message == "parameter 'a' has both 'value' and 'reference'"


@pytest.mark.parametrize(
    "reference, column, message",
    [
        ('"x"', 36, "parameter 'a': a Key Vault reference needs an object with 'keyVault' and 'secretName'"),
        ('{"secretName": "s"}', 36, "parameter 'a': a Key Vault reference needs 'keyVault': {'id': '<the vault's resource ID>'}"),
        ('{"keyVault": {"id": ""}, "secretName": "s"}', 49, "parameter 'a': a Key Vault reference needs 'keyVault': {'id': '<the vault's resource ID>'}"),
        ('{"keyVault": {"id": "v"}, "secretName": 5}', 76, "parameter 'a': a Key Vault reference needs a 'secretName' string"),
        ('{"keyVault": {"id": "v"}}', 36, "parameter 'a': a Key Vault reference needs a 'secretName' string"),
        ('{"keyVault": {"id": "v"}, "secretName": "s", "secretVersion": 1}', 98, "parameter 'a': a Key Vault reference needs 'secretVersion' to be a string"),
    ],
)
def test_malformed_references(reference: str, column: int, message: str) -> None:
    err = refused('{"parameters": {"a": {"reference": ' + reference + "}}}")
    assert (err.line, err.column, err.message) == (1, column, message)


def test_reference_property_names_are_case_insensitive() -> None:
    params = parse_parameter_text('{"parameters": {"a": {"Reference": {"KeyVault": {"ID": "v"}, "SecretName": "s"}}}}')
    assert params.entries["a"].reference == KeyVaultReference("v", "s", None)


def test_a_schema_that_is_not_for_parameters_warns() -> None:
    text = '{\n  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",\n  "parameters": {}\n}'
    params = parse_parameter_text(text)
    assert params.warnings == [
        SourceWarning("'$schema' is not a deploymentParameters schema (this looks like a template, not a parameter file)", 2, 14)
    ]
    assert parse_parameter_text('{"$schema": 5, "parameters": {}}').warnings == [
        SourceWarning("'$schema' is not a deploymentParameters schema", 1, 13)
    ]


def test_names_differing_only_in_case_warn_and_the_last_wins() -> None:
    params = parse_parameter_text('{"parameters": {"name": {"value": 1},\n "NAME": {"value": 2}}}')
    assert params.entries["name"].value == 2 and params.entries["name"].name == "NAME"
    assert params.warnings == [SourceWarning("parameter 'NAME' is given twice (names are case-insensitive): the last one is used", 2, 2)]


def test_duplicate_json_properties_warn() -> None:
    params = parse_parameter_text('{"parameters": {"a": {"value": 1}, "a": {"value": 2}}}')
    assert params.entries["a"].value == 2
    assert params.warnings == [SourceWarning("duplicate property 'a': Azure uses the last one", 1, 36)]


def test_parameters_must_be_an_object() -> None:
    err = refused('{"parameters": [1]}')
    assert (err.column, err.message) == (16, "'parameters' must be an object of parameter names to {'value': ...}")
    err = refused("[1]")
    assert (err.line, err.column) == (1, 1)


def test_load_parameter_file_from_disk(tmp_path: "os.PathLike[str]") -> None:
    file = os.path.join(tmp_path, "main.parameters.json")
    with open(file, "w", encoding="utf-8-sig") as f:
        f.write(STANDARD)
    params = load_parameter_file(file)
    assert params.path == file and params.document.path == file
    assert params.entries["vaultname"].value == "kv-prod"


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("count=3", ("count", 3)),
        ("flag=true", ("flag", True)),
        ("obj={\"a\": [1]}", ("obj", {"a": [1]})),
        ("name=kv-prod", ("name", "kv-prod")),
        ("name=", ("name", "")),
        ("name=a=b", ("name", "a=b")),
        ("quoted=\"x\"", ("quoted", "x")),
        ("n=NaN", ("n", "NaN")),
        ("n=null", ("n", None)),
        ("s={not json", ("s", "{not json")),
    ],
)
def test_parse_cli_parameter(text: str, expected: tuple[str, object]) -> None:
    assert parse_cli_parameter(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=5", ""])
def test_malformed_cli_parameter(text: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_cli_parameter(text)
    assert info.value.path == COMMAND_LINE == "<command line>"
    assert (info.value.line, info.value.column) == (1, 1)


def test_split_cli_parameter_keeps_the_text() -> None:
    assert split_cli_parameter("count=007") == ("count", "007")


@pytest.mark.parametrize(
    "raw, declared, expected",
    [
        ("123", "string", "123"),
        ("123", "secureString", "123"),
        ("123", "int", 123),
        ("-4", "int", -4),
        ("True", "bool", True),
        ("yes", "bool", False),
        ("[1, 2]", "array", [1, 2]),
        ('{"a": 1}', "object", {"a": 1}),
        ('{"a": 1}', "secureObject", {"a": 1}),
        ("x", None, "x"),
    ],
)
def test_coerce_cli_value_by_declared_type(raw: str, declared: str | None, expected: object) -> None:
    assert coerce_cli_value("p", raw, declared) == expected


def test_coerce_cli_value_errors() -> None:
    with pytest.raises(SourceError) as info:
        coerce_cli_value("count", "3.5", "int")
    assert info.value.message == "parameter 'count': '3.5' is not an integer"
    with pytest.raises(SourceError) as info:
        coerce_cli_value("tags", '{"a": }', "object")
    assert (info.value.path, info.value.column) == (COMMAND_LINE, 7)
    assert info.value.message == "parameter 'tags': expected a JSON value"
