"""Reading policy files (YAML or JSON), validating them against `policy.schema.json`, compiling them.

Every problem is reported at the line and column of the node it is about, in the policy file
itself: YAML nodes keep their marks, JSON goes through the source layer's position index.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
import yaml

from ..rules import ALL_RULES
from ..rules.base import Rule
from ..source import SourceError, load_document
from .conditions import ConditionError
from .errors import PolicyError, Problem
from .rule import policy_rule

POLICY_SUFFIXES = (".yaml", ".yml", ".json")

# Locates a JSON path in a policy file: (line, column); `key=True` asks for the property name.
Locator = Callable[[tuple[Any, ...], bool], tuple[int, int]]


@lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    """The JSON Schema every policy file must satisfy (shipped beside this module)."""
    text = resources.files(__package__).joinpath("policy.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(policy_schema())


def load_policies(paths: Iterable[str]) -> list[Rule]:
    """Every policy in the given files and folders (searched recursively), compiled into rules.

    Raises PolicyError listing every problem found, each at its file, line and column.
    """
    problems: list[Problem] = []
    rules: list[Rule] = []
    # id or name -> where it was first defined; built-in rules' names are taken from the start
    first_seen: dict[str, tuple[str, str]] = {f"name:{r.name}": ("", f"the built-in rule {r.id}") for r in ALL_RULES}
    for file in policy_files(paths, problems):
        try:
            data, locate = read_policy_file(file)
        except PolicyError as err:
            problems.extend(err.problems)
            continue
        errors = list(schema_problems(file, data, locate))
        if errors:
            problems.extend(errors)
            continue
        for index, definition in enumerate(data["policies"]):
            here = ("policies", index)
            line, column = locate(here, False)
            try:
                rule = policy_rule(definition, f"{file}:{line}:{column}", here)
            except ConditionError as err:
                problems.append(Problem(file, *locate(err.json_path, False), err.message))
                continue
            clash = _clash(first_seen, definition, file, locate, here)
            if clash is not None:
                problems.append(clash)
                continue
            rules.append(rule)
    if problems:
        raise PolicyError(problems)
    return rules


def _clash(
    seen: dict[str, tuple[str, str]], definition: dict[str, Any], file: str, locate: Locator, here: tuple[Any, ...]
) -> Problem | None:
    """A policy whose id or name another policy already has: which one would a config select?"""
    for key in ("id", "name"):
        value = definition[key]
        marker = f"{key}:{value.lower()}"
        if marker in seen:
            first = seen[marker][1]
            return Problem(file, *locate(here + (key,), False), f"the {key} '{value}' is already taken by {first}")
    for key in ("id", "name"):
        line, column = locate(here + (key,), False)
        seen[f"{key}:{definition[key].lower()}"] = (file, f"the policy at {file}:{line}:{column}")
    return None


def policy_files(paths: Iterable[str], problems: list[Problem]) -> Iterator[str]:
    """The policy files under `paths`: folders are searched recursively, in name order."""
    for path in paths:
        if os.path.isdir(path):
            for folder, subfolders, names in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(names):
                    if name.lower().endswith(POLICY_SUFFIXES) and not name.startswith("."):
                        yield os.path.join(folder, name)
        elif os.path.isfile(path):
            if path.lower().endswith(POLICY_SUFFIXES):
                yield path
            else:
                problems.append(Problem(path, 1, 1, "not a policy file: policies are .yaml, .yml or .json files"))
        else:
            problems.append(Problem(path, 0, 0, "no such policy file or folder"))


# --- reading ------------------------------------------------------------------------------------


class _PolicyYamlLoader(yaml.SafeLoader):
    """SafeLoader without timestamps: `greaterOrEquals: 2023-01-01` stays the string it reads as."""


_PolicyYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_policy_file(file: str) -> tuple[Any, Locator]:
    """The file's data and a locator for its nodes; PolicyError when it cannot be read or parsed."""
    if file.lower().endswith(".json"):
        try:
            document = load_document(file, require_object=False)
        except SourceError as err:
            raise PolicyError([Problem(file, err.line, err.column, err.message)]) from None
        except OSError as err:
            raise PolicyError([Problem(file, 0, 0, f"cannot read the file: {err.strerror or err}")]) from None

        def locate_json(path: tuple[Any, ...], key: bool) -> tuple[int, int]:
            loc = document.key_location(path) if key else document.location(path)
            return loc.line, loc.column

        return document.value, locate_json
    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8"
        raise PolicyError([Problem(file, 0, 0, f"cannot read the file: {reason or err}")]) from None
    loader = _PolicyYamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise PolicyError([Problem(file, line, column, f"invalid YAML: {err.problem or err.context}")]) from None
    finally:
        loader.dispose()
    if node is not None:
        duplicates = list(_duplicate_keys(node))
        if duplicates:
            raise PolicyError([Problem(file, line, column, message) for line, column, message in duplicates])

    def locate_yaml(path: tuple[Any, ...], key: bool) -> tuple[int, int]:
        found = _yaml_node(node, path, key)
        if found is None:
            return 1, 1
        return found.start_mark.line + 1, found.start_mark.column + 1

    return data, locate_yaml


def _yaml_node(node: yaml.Node | None, path: tuple[Any, ...], key: bool) -> yaml.Node | None:
    """The node at `path`, or the deepest one that exists; with `key`, the last property's name."""
    for position, step in enumerate(path):
        last = position == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            pair = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)), None
            )
            if pair is None:
                return node
            node = pair[0] if key and last else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _duplicate_keys(node: yaml.Node) -> Iterator[tuple[int, int, str]]:
    """A key repeated in one mapping: YAML would silently keep only the last one."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield key.start_mark.line + 1, key.start_mark.column + 1, f"duplicate key '{key.value}'"
                seen.add(key.value)
            yield from _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item)


# --- validating ---------------------------------------------------------------------------------


def schema_problems(file: str, data: Any, locate: Locator) -> Iterator[Problem]:
    """Every way `data` breaks the policy schema, each at the node it is about."""
    for error in _validator().iter_errors(data):
        for json_path, key, message in _explain(error):
            line, column = locate(json_path, key)
            yield Problem(file, line, column, message)


def _explain(error: jsonschema.ValidationError) -> Iterator[tuple[tuple[Any, ...], bool, str]]:
    """(where, at the key?, message) for one schema error, in the words of the schema's `errorMessage`."""
    path = tuple(error.absolute_path)
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    custom: dict[str, str] = schema.get("errorMessage", {})
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema.get("properties", {}))
        for extra in (k for k in instance if k not in allowed):
            template = custom.get("additionalProperties")
            if template is None:
                template = "unknown key '{key}'; expected one of " + ", ".join(sorted(allowed))
            yield path + (extra,), True, template.format(key=extra)
        return
    if error.validator == "required" and isinstance(instance, dict) and isinstance(error.validator_value, list):
        missing = [k for k in error.validator_value if k not in instance]
        yield path, False, "missing " + ", ".join(f"'{k}'" for k in missing)
        return
    template = custom.get(str(error.validator))
    if template is not None:
        yield path, False, template.format(instance=instance)
        return
    yield path, False, error.message
