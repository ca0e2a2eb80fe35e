"""Where the indexed strings of a document are: `document_index(document).paths`, which searches
only the resource declarations that hold a string (validator/rules/generic/_scan.py)."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from validator.rules.generic._scan import StringEntry, document_index, iter_strings
from validator.source import Document, parse_document


def _document(template: Any) -> Document:
    return parse_document(json.dumps(template).encode(), "t.json", require_object=False)


def _check_paths(template: Any) -> None:
    """The index holds the strings `iter_strings` finds, each where its path says: asked of one
    index in document order, and in reverse order of another (the paths a search found before,
    then, are those of later strings), and each asked of an index of its own (a search from
    scratch)."""
    document = _document(template)
    everything = list(iter_strings(template, ()))
    expected = [(path, text, is_key) for path, text, is_key in everything if text[:1] == "["]
    # Dotted: string values with a '.', but none under `$schema` or `metadata` (any spelling).
    dotted = [(path, text) for path, text, is_key in everything if not is_key and "." in text and not _described(path)]
    index = document_index(document)
    assert [(StringEntry(*entry, index.paths).path, *entry[2:]) for entry in index.strings] == expected
    again = document_index.__wrapped__(document)
    assert [(StringEntry(*entry, again.paths).path, *entry[2:]) for entry in reversed(again.strings)] == expected[::-1]
    for at, (path, text, is_key) in enumerate(expected):
        fresh = document_index.__wrapped__(document)
        assert fresh.paths.path(*fresh.strings[at][:2]) == path
    assert [(index.paths.path(container, key), text) for container, key, text in index.dotted] == dotted
    for at, (path, text) in enumerate(dotted):
        fresh = document_index.__wrapped__(document)
        assert fresh.paths.path(*fresh.dotted[at][:2]) == path


def _described(path: tuple[Any, ...]) -> bool:
    return any(type(key) is str and key.lower() in ("$schema", "metadata") for key in path)


NESTED = {
    "type": "Microsoft.Resources/deployments",
    "properties": {
        "expressionEvaluationOptions": {"scope": "inner"},
        "template": {
            "parameters": {"p": {"type": "string"}},
            "resources": [{"type": "Microsoft.Storage/storageAccounts", "name": "[parameters('p')]", "location": "westeurope"}],
        },
    },
}

TEMPLATE = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "parameters": {"n": {"type": "string", "defaultValue": "[resourceGroup().name]"}},
    "resources": {
        "inner": NESTED,
        "vault": {"type": "Microsoft.KeyVault/vaults", "name": "[parameters('n')]", "properties": {"uri": "https://x.vault.azure.net"}},
    },
    "outputs": {"o": {"type": "string", "value": "[reference('inner').outputs]"}},
}


def test_every_string_is_found_where_it_is() -> None:
    _check_paths(TEMPLATE)


def test_the_owner_of_strings_in_a_nested_template_does_not_change_with_the_section() -> None:
    """The nested template's strings belong to it whether its deployment is in a list or under a
    symbolic name, and whatever else the section holds."""
    as_list = {"resources": [NESTED]}
    unusual = {"resources": {"inner": NESTED, "[x]": "[concat('a')]", "metadata": {"a": "[b()]"}}}
    for template in (as_list, unusual):
        owners = document_index(_document(template)).texts_by_owner
        inner = [path for path in owners if path]
        assert len(inner) == 1 and owners[inner[0]] == ["[parameters('p')]"], template


# JSON documents whose keys are often `resources`, with sections of every shape: objects, strings
# (expressions among them), keys that are expressions or that the walk treats apart.
KEYS = st.sampled_from(["resources", "Resources", "metadata", "template", "functions", "[k()]", "a", "b.c", ""])
SCALARS = st.one_of(st.sampled_from(["[e()]", "[[x]", "a.b", "x", ""]), st.integers(0, 2), st.none())
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, DOCUMENTS, max_size=5))
# Sections that cannot be walked one declaration at a time
@example({"resources": {"[k()]": {"a": "[e()]"}, "b": {}}})
@example({"resources": {"a": {}, "metadata": {"a": "a.b"}}})
@example({"resources": {"resources": {"x": {"a": "[e()]"}}}})
@example({"resources": [{"a": "a.b"}, "[e()]", {"b": "[e()]"}]})
def test_any_document_every_string_is_found_where_it_is(document: dict[str, Any]) -> None:
    _check_paths(document)
