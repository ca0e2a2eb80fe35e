"""A malformed template is reported, never a traceback: any JSON value put anywhere in a sample
template (a list where an object belongs, a number for a name, ...) is linted without an
exception and without a rule crash (AV999)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.lint import LintRequest, lint_file
from validator.rules import RULE_CRASH
from validator.source import load_document

SAMPLES = sorted((Path(__file__).parent.parent / "templates").glob("*/*.json"))
TEMPLATES = [p for p in SAMPLES if "parameters" not in p.name and p.name != "state.json"]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "x", "[", "[concat(1)]", "[parameters('nope')]"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["type", "name", "metadata", "value", "x"]), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, path + (i,))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value.get(head), rest, new)}
    return [(_replace(v, rest, new) if i == head else v) for i, v in enumerate(value)]


# Where ARM reads structure: the keys a malformed value can sit under.
ARM_KEYS = ["metadata", "type", "name", "condition", "copy", "properties", "dependsOn", "resources", "apiVersion",
            "defaultValue", "allowedValues", "minValue", "value", "template", "parameters", "variables", "outputs",
            "functions", "existing", "scope", "expressionEvaluationOptions", "identity", "sku", "location"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), new=JSON_VALUES)
def test_any_value_anywhere_is_linted_without_a_traceback(tmp_path: Path, data: st.DataObject, new: Any) -> None:
    source = data.draw(st.sampled_from(TEMPLATES))
    template = load_document(str(source)).value  # the samples have comments: take the parsed value
    paths = [p for p in _paths(template)[1:] if len(p) <= 5]  # where structure lives
    objects = [p for p in _paths(template) if len(p) <= 4 and isinstance(_at(template, p), dict)]
    if data.draw(st.booleans()):
        path = data.draw(st.sampled_from(paths))  # a value replaced
    else:
        path = data.draw(st.sampled_from(objects)) + (data.draw(st.sampled_from(ARM_KEYS)),)  # a key set
    target = tmp_path / "azuredeploy.json"
    target.write_text(json.dumps(_replace(template, path, new)), encoding="utf-8")
    report = lint_file(LintRequest(template=str(target), fill_missing=True))
    assert not [f.message for f in report.findings if f.rule_id == RULE_CRASH.id], path


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for element in path:
        value = value[element]
    return value
