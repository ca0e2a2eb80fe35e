"""Configuration: `.arm-validator.yaml` or `[tool.arm-validator]` in `pyproject.toml`.

    select: [KV, IDM]            # rule ids or prefixes to run (default: all)
    ignore: [ARM007]             # rule ids or prefixes to skip
    per-path-ignores:            # glob (relative to the config file) -> ids
      "legacy/**": [KV001]
    severity: {KV002: error}     # severity overrides
    fail-on: warning
    policies: [policies/]        # folders of policies written as data
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any

CONFIG_NAMES = (".arm-validator.yaml", ".arm-validator.yml")
SEVERITIES = ("error", "warning", "note")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file."""


@dataclass
class Config:
    path: str | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str | None = None
    policies: list[str] = field(default_factory=list)

    def selects(self, rule_id: str, file: str | None = None) -> bool:
        """Is `rule_id` selected (for `file`), by id or prefix, ignore winning over select?"""
        if self.select and not _matches(rule_id, self.select):
            return False
        if self.ignore and _matches(rule_id, self.ignore):
            return False
        if file is not None and self.per_path_ignores:
            base = os.path.dirname(self.path) if self.path else os.getcwd()
            relative = os.path.relpath(os.path.abspath(file), base).replace(os.sep, "/")
            for pattern, ids in self.per_path_ignores.items():
                if fnmatch.fnmatch(relative, pattern) and _matches(rule_id, ids):
                    return False
        return True


def _matches(rule_id: str, patterns: list[str]) -> bool:
    return any(rule_id.upper().startswith(p.upper()) for p in patterns)


def _string_list(value: Any, key: str, path: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{path}: '{key}' must be a list of strings")


def config_from_mapping(data: Any, path: str) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    known = {"select", "ignore", "per-path-ignores", "severity", "fail-on", "policies"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    severity = data.get("severity") or {}
    if not isinstance(severity, dict) or any(v not in SEVERITIES for v in severity.values()):
        raise ConfigError(f"{path}: 'severity' maps rule ids to one of {', '.join(SEVERITIES)}")
    per_path = data.get("per-path-ignores") or {}
    if not isinstance(per_path, dict):
        raise ConfigError(f"{path}: 'per-path-ignores' maps path globs to lists of rule ids")
    fail_on = data.get("fail-on")
    if fail_on is not None and fail_on not in (*SEVERITIES, "never"):
        raise ConfigError(f"{path}: 'fail-on' must be error, warning, note or never")
    base = os.path.dirname(os.path.abspath(path))
    return Config(
        path=os.path.abspath(path),
        select=_string_list(data.get("select"), "select", path),
        ignore=_string_list(data.get("ignore"), "ignore", path),
        per_path_ignores={str(k): _string_list(v, f"per-path-ignores.{k}", path) for k, v in per_path.items()},
        severity={str(k).upper(): str(v) for k, v in severity.items()},
        fail_on=fail_on,
        policies=[os.path.join(base, p) for p in _string_list(data.get("policies"), "policies", path)],
    )


def load_config(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise ConfigError(f"{path}: {err.strerror}") from None
    if path.endswith(".toml"):
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: {err}") from None
        return config_from_mapping(data.get("tool", {}).get("arm-validator"), path)
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: {getattr(err, 'problem', None) or err}") from None
    return config_from_mapping(data, path)


def discover_config(start: str | None = None) -> Config:
    """The nearest configuration from `start` (default: the working directory) upwards."""
    folder = os.path.abspath(start or os.getcwd())
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return load_config(candidate)
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject):
            with open(pyproject, encoding="utf-8") as handle:
                if "[tool.arm-validator]" in handle.read():
                    return load_config(pyproject)
        parent = os.path.dirname(folder)
        if parent == folder or os.path.isdir(os.path.join(folder, ".git")):
            return Config()
        folder = parent
