"""What the Key Vault rules share: reading a vault's properties as evaluated and as written,
its permission model, the ML workspaces linked to it, and the text edit that removes a property."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...expressions.values import Unknown, get_property
from ...findings import Edit
from ...source import Document
from ...template.model import ExpandedResource
from ..base import LintContext, raw_get, raw_key
from ..idempotency.sources import display_name

VAULTS = "microsoft.keyvault/vaults"
VAULT_ACCESS_POLICIES = "microsoft.keyvault/vaults/accesspolicies"
WORKSPACES = "microsoft.machinelearningservices/workspaces"

# Strings (skipped, kept) and comments (blanked): the JSON text as a parser sees it, same length.
_STRING_OR_COMMENT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|//[^\r\n]*|/\*.*?\*/', re.DOTALL)
_NOT_NEWLINE = re.compile(r"[^\r\n]")

__all__ = [
    "VAULTS",
    "VAULT_ACCESS_POLICIES",
    "WORKSPACES",
    "deploys",
    "display_name",
    "evaluated_property",
    "linked_workspaces",
    "maybe_deployed_note",
    "parent_vault",
    "permission_model",
    "property_path",
    "raw_property",
    "remove_member_edits",
    "shown",
]


def deploys(resource: ExpandedResource) -> bool:
    """The template may deploy it: not an `existing` reference and not condition-false."""
    return not resource.existing and resource.deployed is not False


def maybe_deployed_note(resource: ExpandedResource) -> str:
    """Says so when whether the resource is deployed depends on a condition only Azure evaluates."""
    if resource.deployed is True:
        return ""
    return " (when it is deployed: its condition is only known at deployment time)"


def evaluated_property(resource: ExpandedResource, name: str) -> tuple[bool, Any]:
    """(present, value) of `properties.<name>` as Azure receives it (names case-insensitive)."""
    properties = resource.properties
    if not isinstance(properties, dict):
        return False, None
    return get_property(properties, name)


def raw_property(resource: ExpandedResource, name: str) -> Any:
    """`properties.<name>` as written in the template (None when absent or not literal)."""
    return raw_get(raw_get(resource.raw, "properties"), name)


def property_path(resource: ExpandedResource, name: str) -> tuple[Any, ...]:
    """The JSON path, relative to the declaration, of the node that writes `properties.<name>`:
    the property itself, the property `copy` loop that builds it, else `properties`, else ()."""
    raw = resource.raw
    properties = raw_get(raw, "properties")
    if properties is None:
        return ()
    properties_key = raw_key(raw, "properties")
    if not isinstance(properties, dict):
        return (properties_key,)
    if raw_key(properties, name) in properties:
        return (properties_key, raw_key(properties, name))
    loops = raw_get(properties, "copy")
    if isinstance(loops, list):
        for i, loop in enumerate(loops):
            if isinstance(raw_get(loop, "name"), str) and raw_get(loop, "name").lower() == name.lower():
                return (properties_key, raw_key(properties, "copy"), i)
    return (properties_key,)


def permission_model(vault: ExpandedResource) -> str | None:
    """'rbac', 'access policies', or None when `enableRbacAuthorization` is only known to Azure."""
    present, value = evaluated_property(vault, "enableRbacAuthorization")
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"  # ARM converts "true"/"false" strings for boolean properties
    if not present or value is None or value is False:
        return "access policies"  # "If null or not specified, the vault is created with the default value of false."
    if value is True:
        return "rbac"
    return None


def linked_workspaces(ctx: LintContext, vault: ExpandedResource) -> Iterator[ExpandedResource]:
    """The ML workspaces this template deploys on every run whose `keyVault` is `vault`: the same
    resource ID (case-insensitive), or, when only Azure knows one of the IDs, a link written with
    the vault type and the vault's own name expression (`resourceId(..., parameters('kvName'))`)."""
    vault_id = vault.id.lower() if isinstance(vault.id, str) else None
    name_text = _name_text(vault) if isinstance(vault.name, Unknown) else None
    for workspace in ctx.resources(WORKSPACES):
        if workspace.existing or workspace.deployed is not True:
            continue
        _, link = evaluated_property(workspace, "keyVault")
        # Linked-resource IDs come back in any casing from Azure: compare case-insensitively.
        if isinstance(link, str) and vault_id is not None and link.rstrip("/").lower() == vault_id:
            yield workspace
        elif isinstance(link, Unknown) and name_text:
            written = raw_get(raw_get(workspace.raw, "properties"), "keyVault")
            for text in (link.expression, written):
                compact = "".join(text.split()).lower() if isinstance(text, str) else ""
                if "microsoft.keyvault/vaults" in compact and name_text in compact:
                    yield workspace
                    break


def shown(raw: Any, value: Any) -> str:
    """A value for a message: the expression as written when only Azure knows the value (so a
    secret is never printed: only the text that names it), else the value itself."""
    if isinstance(value, Unknown) or value is None:
        return f"`{raw}`" if isinstance(raw, str) else "an expression"
    return f"'{value}'"


def _code_only(text: str) -> str:
    """`text` with comments blanked to spaces (newlines kept), so offsets stay valid."""

    def blank(match: re.Match[str]) -> str:
        token = match.group()
        return token if token.startswith('"') else _NOT_NEWLINE.sub(" ", token)

    return _STRING_OR_COMMENT.sub(blank, text)


def _next_code(code: str, offset: int) -> int:
    while offset < len(code) and code[offset] in " \t\r\n":
        offset += 1
    return offset


def _previous_code(code: str, offset: int) -> int:
    offset -= 1
    while offset >= 0 and code[offset] in " \t\r\n":
        offset -= 1
    return offset


def remove_member_edits(document: Document, json_path: tuple[Any, ...]) -> tuple[Edit, ...]:
    """Edits that delete the object member at `json_path` (name, value and the comma that goes
    with it) and keep the rest byte for byte; the whole line goes when the member is alone on it.
    Empty when the path does not exist."""
    if not document.has_path(json_path):
        return ()
    text = document.text
    code = _code_only(text)
    start = document.key_location(json_path).offset
    end = document.location(json_path).end_offset
    after = _next_code(code, end)
    comma_after = after < len(code) and code[after] == ","
    last = not comma_after or code[_next_code(code, after + 1): _next_code(code, after + 1) + 1] == "}"
    if comma_after:
        end = after + 1
    if last:
        # The last member: its separator is the comma before it, which must go too.
        before = _previous_code(code, start)
        if before >= 0 and code[before] == ",":
            if not text[before + 1:start].strip():
                return (Edit(before, end, ""),)
            return (Edit(before, before + 1, ""), Edit(*_whole_lines(text, code, start, end), ""))
        return (Edit(*_whole_lines(text, code, start, end), ""),)
    while end < len(text) and text[end] in " \t":
        end += 1  # the next member moves to where this one started
    return (Edit(*_whole_lines(text, code, start, end), ""),)


def _whole_lines(text: str, code: str, start: int, end: int) -> tuple[int, int]:
    """`start, end` grown to whole lines when nothing else is on them (comments aside)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not text[line_start:start].strip() and not code[end:line_end].strip():
        return line_start, line_end
    return start, end


def _name_text(resource: ExpandedResource) -> str:
    raw = raw_get(resource.raw, "name")
    text = raw[1:-1] if isinstance(raw, str) and raw.startswith("[") and raw.endswith("]") else str(raw)
    return "".join(text.split()).lower()


def parent_vault(ctx: LintContext, child: ExpandedResource) -> ExpandedResource | None:
    """The vault of a `vaults/accessPolicies` (or other vault child) resource, when this template
    declares it: the same vault ID, else (names only Azure knows) the vault whose `resources`
    declare the child, else a vault in the same template whose name expression is in the child's."""
    if isinstance(child.id, str):
        wanted = child.id.lower().rsplit("/", 2)[0]
        return next((v for v in ctx.resources(VAULTS) if isinstance(v.id, str) and v.id.lower() == wanted), None)
    vaults = [v for v in ctx.resources(VAULTS) if v.deployment == child.deployment]
    if isinstance(child.name, Unknown):
        for vault in vaults:
            depth = len(vault.json_path)
            if vault.document is child.document and child.json_path[:depth] == vault.json_path and len(child.json_path) > depth:
                parent_text = vault.name.expression if isinstance(vault.name, Unknown) else str(vault.name)
                if child.name.expression.lower().startswith(parent_text.lower() + "/"):
                    return vault
        declared = [
            v for v in vaults if v.document is child.document and isinstance(raw_get(v.raw, "name"), str)
            and str(raw_get(v.raw, "name")).startswith("[") and _name_text(v) in _name_text(child)
        ]
        if len(declared) == 1:
            return declared[0]
    return None
