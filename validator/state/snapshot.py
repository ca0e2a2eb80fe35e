"""Snapshots: a `LiveState` written to a versioned JSON file and read back unchanged.

The format (version 1) is described by `snapshot.schema.json`, shipped with the package; a file is
validated against it on read, and an invalid one is reported with the JSON path of the bad node.
`state_from_json(state_to_json(s))` equals `s` (apart from `source`), so `check --state` sees
exactly what the live run saw.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from .model import DeletedVault, LiveResource, LiveState, NameAvailability
from .provider import StateError

VERSION = 1
SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "snapshot.schema.json")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The snapshot JSON Schema."""
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _lookup_to_json(lookup: LiveResource) -> dict[str, Any]:
    out: dict[str, Any] = {"id": lookup.id, "apiVersion": lookup.api_version, "status": lookup.status}
    if lookup.body is not None:
        out["body"] = lookup.body
    if lookup.missing_permission is not None:
        out["missingPermission"] = lookup.missing_permission
    if lookup.message is not None:
        out["message"] = lookup.message
    return out


def _lookup_from_json(entry: dict[str, Any]) -> LiveResource:
    return LiveResource(
        id=entry["id"],
        api_version=entry["apiVersion"],
        status=entry["status"],
        body=entry.get("body"),
        missing_permission=entry.get("missingPermission"),
        message=entry.get("message"),
    )


def state_to_json(state: LiveState) -> dict[str, Any]:
    """The snapshot document for `state` (entries sorted, so two reads of the same state diff cleanly)."""
    deleted: list[dict[str, Any]] = []
    for key in sorted(state.deleted_vaults):
        vault = state.deleted_vaults[key]
        if vault is None:
            deleted.append({"name": key, "found": False})
        else:
            deleted.append(
                {
                    "name": vault.name,
                    "found": True,
                    "location": vault.location,
                    "vaultId": vault.vault_id,
                    "deletionDate": vault.deletion_date,
                    "scheduledPurgeDate": vault.scheduled_purge_date,
                    "purgeProtectionEnabled": vault.purge_protection_enabled,
                }
            )
    names = [
        {"name": n.name, "available": n.available, "reason": n.reason, "message": n.message}
        for _, n in sorted(state.vault_names.items())
    ]
    group: dict[str, Any] | None = None
    if state.group_listing is not None:
        listing = _lookup_to_json(state.group_listing)
        group = {key: listing[key] for key in ("status", "missingPermission", "message") if key in listing}
        if state.group_resources is not None:
            group["resources"] = state.group_resources
    return {
        "version": VERSION,
        "capturedAt": state.captured_at or "",
        "subscriptionId": state.subscription_id,
        "resourceGroup": state.resource_group,
        "resources": [_lookup_to_json(state.resources[key]) for key in sorted(state.resources)],
        "deletedVaults": deleted,
        "vaultNames": names,
        "groupResources": group,
    }


def _json_path(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate(document: Any, path: str) -> None:
    """Raise `StateError` naming the file and the JSON path of the first bad node."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        error = jsonschema.exceptions.best_match(errors) or errors[0]
        where = _json_path(error.absolute_path)
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise StateError(f"{path}: {where}: {error.message}{more}; not an arm-validator snapshot of version {VERSION}")


def state_from_json(document: dict[str, Any], source: str = "snapshot") -> LiveState:
    """The `LiveState` a (validated) snapshot document records."""
    state = LiveState(
        subscription_id=document["subscriptionId"],
        resource_group=document["resourceGroup"],
        captured_at=document["capturedAt"],
        source=source,
    )
    for entry in document["resources"]:
        lookup = _lookup_from_json(entry)
        state.resources[lookup.id.lower()] = lookup
    for entry in document["deletedVaults"]:
        key = entry["name"].lower()
        state.deleted_vaults[key] = (
            DeletedVault(
                name=entry["name"],
                location=entry["location"],
                vault_id=entry["vaultId"],
                deletion_date=entry.get("deletionDate"),
                scheduled_purge_date=entry.get("scheduledPurgeDate"),
                purge_protection_enabled=entry.get("purgeProtectionEnabled"),
            )
            if entry["found"]
            else None
        )
    for entry in document["vaultNames"]:
        state.vault_names[entry["name"].lower()] = NameAvailability(
            entry["name"], entry["available"], entry.get("reason"), entry.get("message")
        )
    group = document["groupResources"]
    if group is not None:
        from .collect import group_listing_id

        state.group_listing = LiveResource(
            id=group_listing_id(state.subscription_id, state.resource_group),
            api_version="",
            status=group["status"],
            missing_permission=group.get("missingPermission"),
            message=group.get("message"),
        )
        state.group_resources = group.get("resources")
    return state


def read_snapshot(path: str) -> LiveState:
    """Load and validate a snapshot file. Raises `StateError` with the file name on any problem."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as err:
        raise StateError(f"{path}: cannot read the snapshot: {err.strerror or err}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise StateError(f"{path}: not JSON: {err}") from None
    validate(document, path)
    return state_from_json(document, source=path)


def write_snapshot(state: LiveState, path: str | None) -> None:
    """Write `state` as a snapshot to `path` (standard output when None or `-`)."""
    import sys

    text = json.dumps(state_to_json(state), indent=2, sort_keys=False) + "\n"
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    assert path is not None
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise StateError(f"{path}: cannot write the snapshot: {err.strerror or err}") from None
