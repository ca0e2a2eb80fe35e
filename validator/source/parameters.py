"""Parameter files (`deploymentParameters` schema) and `--param NAME=VALUE` values, as the Azure CLI reads them."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..keys import find_key
from .document import Document, Location, SourceError, SourceWarning, load_document, parse_document

COMMAND_LINE = "<command line>"


@dataclass(frozen=True)
class KeyVaultReference:
    """A parameter whose value is a Key Vault secret that only Azure can read."""

    vault_id: str
    secret_name: str
    secret_version: str | None


@dataclass(frozen=True)
class ParameterEntry:
    """One parameter of a parameter file.

    `location` is the span of the `value` member for a value, and of the whole entry for a
    Key Vault reference.
    """

    name: str
    value: Any
    reference: KeyVaultReference | None
    location: Location


@dataclass
class ParameterFile:
    """A parsed parameter file; `entries` are keyed by lower-case name (ARM names are case-insensitive)."""

    path: str
    document: Document
    entries: dict[str, ParameterEntry]
    warnings: list[SourceWarning]


def _error(document: Document, path: tuple[Any, ...], message: str) -> SourceError:
    loc = document.location(path)
    return SourceError(document.path, loc.line, loc.column, message)


def _reference(document: Document, path: tuple[Any, ...], name: str, ref: Any) -> KeyVaultReference:
    where = f"parameter '{name}': a Key Vault reference needs"
    if not isinstance(ref, dict):
        raise _error(document, path, f"{where} an object with 'keyVault' and 'secretName'")
    vault_key = find_key(ref, "keyVault")
    vault = ref.get(vault_key) if vault_key is not None else None
    id_key = find_key(vault, "id") if isinstance(vault, dict) else None
    if id_key is None or not isinstance(vault[id_key], str) or not vault[id_key]:
        at = path + (vault_key,) if vault_key is not None else path
        raise _error(document, at, f"{where} 'keyVault': {{'id': '<the vault's resource ID>'}}")
    secret_key = find_key(ref, "secretName")
    if secret_key is None or not isinstance(ref[secret_key], str) or not ref[secret_key]:
        raise _error(document, path + ((secret_key,) if secret_key else ()), f"{where} a 'secretName' string")
    version_key = find_key(ref, "secretVersion")
    version = ref[version_key] if version_key is not None else None
    if version is not None and not isinstance(version, str):
        raise _error(document, path + (version_key,), f"{where} 'secretVersion' to be a string")
    return KeyVaultReference(vault[id_key], ref[secret_key], version)


def parameter_file_from_document(document: Document) -> ParameterFile:
    """Read the entries of a parsed parameter file (see `load_parameter_file`)."""
    root = document.value
    if not isinstance(root, dict):
        raise _error(document, (), "a parameter file must be a JSON object")
    warnings = list(document.warnings) + document.duplicate_warnings()
    schema_key = find_key(root, "$schema")
    if schema_key is not None:
        schema = root[schema_key]
        if not (isinstance(schema, str) and "deploymentparameters.json" in schema.lower()):
            loc = document.location((schema_key,))
            hint = " (this looks like a template, not a parameter file)" if isinstance(schema, str) and "deploymenttemplate.json" in schema.lower() else ""
            warnings.append(SourceWarning(f"'$schema' is not a deploymentParameters schema{hint}", loc.line, loc.column))
    # The Azure CLI's rule: `parsed.get('parameters', parsed)` (an exact, case-sensitive key).
    if "parameters" in root:
        base: tuple[Any, ...] = ("parameters",)
        parameters = root["parameters"]
        if not isinstance(parameters, dict):
            raise _error(document, base, "'parameters' must be an object of parameter names to {'value': ...}")
    else:
        base, parameters = (), {k: v for k, v in root.items() if k not in (schema_key, find_key(root, "contentVersion"))}
    entries: dict[str, ParameterEntry] = {}
    for name, entry in parameters.items():
        path = base + (name,)
        if not isinstance(entry, dict):
            raise _error(document, path, f"parameter '{name}' must be an object with 'value' or 'reference'")
        value_key, reference_key = find_key(entry, "value"), find_key(entry, "reference")
        if value_key is not None and reference_key is not None:
            raise _error(document, path, f"parameter '{name}' has both 'value' and 'reference'")
        if value_key is not None:
            parsed = ParameterEntry(name, entry[value_key], None, document.location(path + (value_key,)))
        elif reference_key is not None:
            ref = _reference(document, path + (reference_key,), name, entry[reference_key])
            parsed = ParameterEntry(name, None, ref, document.location(path))
        else:
            raise _error(document, path, f"parameter '{name}' needs a 'value' or a Key Vault 'reference'")
        lowered = name.lower()
        if lowered in entries:
            loc = document.key_location(path)
            warnings.append(SourceWarning(f"parameter '{name}' is given twice (names are case-insensitive): the last one is used", loc.line, loc.column))
        entries[lowered] = parsed
    return ParameterFile(document.path, document, entries, warnings)


def load_parameter_file(path: str) -> ParameterFile:
    """Read a parameter file, in the standard shape `{"$schema": ..., "parameters": {...}}` or
    the bare shape `{"name": {"value": ...}}` that the Azure CLI also accepts.

    Raises `SourceError` for unreadable JSON, an entry with neither `value` nor `reference`, or a
    malformed Key Vault reference; `OSError` when the file cannot be read.
    """
    return parameter_file_from_document(load_document(path))


def parse_parameter_text(text: str | bytes, path: str = "<string>") -> ParameterFile:
    """Like `load_parameter_file`, from text already in memory."""
    return parameter_file_from_document(parse_document(text, path))


def split_cli_parameter(text: str) -> tuple[str, str]:
    """`NAME=VALUE` -> (NAME, VALUE as written); SourceError at "<command line>" when malformed."""
    name, sep, value = text.partition("=")
    if not sep:
        raise SourceError(COMMAND_LINE, 1, 1, f"expected NAME=VALUE, got '{text}'")
    if not name.strip():
        raise SourceError(COMMAND_LINE, 1, 1, f"missing parameter name before '=' in '{text}'")
    return name.strip(), value


def parse_cli_parameter(text: str) -> tuple[str, Any]:
    """`--param NAME=VALUE`: VALUE is parsed as JSON when it is valid JSON, else kept as a string.

    Note: the Azure CLI itself converts VALUE by the parameter's declared type (see
    `coerce_cli_value`), so `name=123` stays the string "123" for a string parameter.
    """
    name, raw = split_cli_parameter(text)
    try:
        return name, json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return name, raw


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not JSON: keep such a value as a string


def coerce_cli_value(name: str, raw: str, declared_type: str | None) -> Any:
    """What the Azure CLI sends for `NAME=VALUE` given the template's declared parameter type.

    object/array/secureObject: parsed as JSON; string/secureString: as written; bool: true when
    VALUE is 'true' in any case, else false; int: a base-10 integer. Any other type: as written.
    """
    kind = (declared_type or "").lower()
    if kind in ("object", "array", "secureobject"):
        try:
            return parse_document(raw, COMMAND_LINE, require_object=False).value
        except SourceError as err:
            raise SourceError(COMMAND_LINE, 1, err.column, f"parameter '{name}': {err.message}") from None
    if kind == "bool":
        return raw.lower() == "true"
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SourceError(COMMAND_LINE, 1, 1, f"parameter '{name}': '{raw}' is not an integer") from None
    return raw
