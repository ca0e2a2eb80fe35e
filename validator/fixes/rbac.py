"""The RBAC fix for a Key Vault that every run redeploys (KV001, `--strategy rbac`): display-only.

It proposes `enableRbacAuthorization: true` on the vault and, for each access policy the template
lists, the `Microsoft.Authorization/roleAssignments` on the vault that replace it: per category
(keys, secrets, certificates), the least-privileged built-in data-plane role that covers every
permission the policy grants there; Key Vault Administrator when the policy has every category's
management permissions (Microsoft's mapping of the "Key, Secret, Certificate Management" template).
Each assignment is named `guid(vault id, principal, role definition id)`.

It is never applied: switching the permission model needs `Microsoft.Authorization/roleAssignments/write`
(Owner or User Access Administrator), invalidates every access policy at once (policies added outside
the template included), and wants a migration window. The proposed text says so in a comment above
the vault, so whoever copies it reads it.

Role definition IDs: "Azure built-in roles for Key Vault data plane operations" in
https://learn.microsoft.com/azure/key-vault/general/rbac-guide
(MicrosoftDocs/azure-security-docs:articles/key-vault/general/rbac-guide.md); the mapping of access
policy templates to roles: https://learn.microsoft.com/azure/key-vault/general/rbac-migration.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..expressions.values import Unknown
from ..findings import Edit, Fix
from ..rules.base import raw_get, raw_key
from ..rules.base import display_name
from ..rules.keyvault.common import evaluated_property
from ..source import Document
from ..template.model import ExpandedResource
from .conditional import Unfixable
from .edits import insert_elements, insert_members, line_indent, newline_of
from .policies_child import fresh_name, operand, value_at

ROLE_ASSIGNMENTS_TYPE = "Microsoft.Authorization/roleAssignments"
ROLE_ASSIGNMENTS_API = "2022-04-01"


@dataclass(frozen=True)
class Role:
    """A built-in Key Vault data-plane role and the access-policy permissions it covers, per category."""

    name: str
    definition_id: str  # the role definition's GUID (rbac-guide.md, table of built-in roles)
    covers: dict[str, frozenset[str]]

    @property
    def symbol(self) -> str:
        return self.name.replace("Key Vault ", "").replace(" ", "")


ADMINISTRATOR = Role("Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483", {})
_READ = frozenset({"get", "list"})
# Least privileged first: the first role of a category that covers a policy's permissions wins.
ROLES_BY_CATEGORY: dict[str, tuple[Role, ...]] = {
    "keys": (
        # Key Vault Reader: "Read metadata of key vaults and its certificates, keys, and secrets".
        Role("Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2", {"keys": _READ}),
        # "Read metadata of keys and perform wrap/unwrap operations" (the SQL Server Connector template).
        Role("Key Vault Crypto Service Encryption User", "e147488a-f6f5-4113-8e2d-b22465e65bf6",
             {"keys": _READ | {"wrapkey", "unwrapkey"}}),
        # "Perform cryptographic operations using keys".
        Role("Key Vault Crypto User", "12338af0-0e69-4776-bea7-57ae8d297424",
             {"keys": _READ | {"update", "backup", "encrypt", "decrypt", "wrapkey", "unwrapkey", "sign", "verify"}}),
        # "Perform any action on the keys of a key vault, except manage permissions".
        Role("Key Vault Crypto Officer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", {"keys": frozenset({"*"})}),
    ),
    "secrets": (
        Role("Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2", {"secrets": frozenset({"list"})}),
        # "Read secret contents including secret portion of a certificate with private key".
        Role("Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6", {"secrets": _READ}),
        # "Perform any action on the secrets of a key vault, except manage permissions".
        Role("Key Vault Secrets Officer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", {"secrets": frozenset({"*"})}),
    ),
    "certificates": (
        Role("Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2", {"certificates": _READ}),
        # "Perform any action on the certificates of a key vault, except managing permissions".
        Role("Key Vault Certificates Officer", "a4417e6f-fecd-4de8-b567-7b0420556985", {"certificates": frozenset({"*"})}),
    ),
}
_OFFICERS = {"Key Vault Crypto Officer", "Key Vault Secrets Officer", "Key Vault Certificates Officer"}


@dataclass(frozen=True)
class PolicyRoles:
    """What one access policy becomes: its principal (as an expression operand) and roles, plus
    what could not be mapped."""

    number: int  # 1-based, in the vault's list
    principal: str | None  # the objectId as written ("[...]" or a literal); None: not known
    roles: tuple[Role, ...]
    notes: tuple[str, ...]


def roles_for(permissions: Any) -> tuple[tuple[Role, ...], tuple[str, ...]]:
    """The roles that cover an access policy's `permissions` (evaluated), and notes on what no
    built-in role covers or what is only known at deployment."""
    if not isinstance(permissions, dict):
        return (), ("its permissions are only known at deployment: assign its roles by hand",)
    roles: list[Role] = []
    notes: list[str] = []
    for category, value in permissions.items():
        wanted = category.lower()
        if isinstance(value, Unknown) or not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            notes.append(f"its {category} permissions are only known at deployment: assign that role by hand")
            continue
        granted = {p.lower() for p in value}
        if not granted:
            continue
        if wanted not in ROLES_BY_CATEGORY:
            notes.append(f"no built-in Key Vault role covers {category} permissions ({', '.join(sorted(granted))}): use a custom role")
            continue
        roles.append(next(r for r in ROLES_BY_CATEGORY[wanted]
                          if "*" in r.covers[wanted] or ("all" not in granted and granted <= r.covers[wanted])))
    if {r.name for r in roles} >= _OFFICERS:
        return (ADMINISTRATOR,), tuple(notes)
    unique = {r.name: r for r in roles}  # Key Vault Reader can come from several categories
    return tuple(unique.values()), tuple(notes)


def rbac_switch_fix(document: Document, vault: ExpandedResource, resources: list[ExpandedResource]) -> Fix | Unfixable:
    """The display-only switch of one vault to RBAC authorization (see the module docstring)."""
    if vault.document is not document:
        return Unfixable("the vault is declared in a linked template file: fix that file")
    if raw_get(vault.raw, "copy") is not None:
        return Unfixable("the vault is a copy loop: write its role assignments by hand")
    properties = raw_get(vault.raw, "properties")
    raw_name = raw_get(vault.raw, "name")
    path = vault.json_path
    if not isinstance(properties, dict) or not isinstance(raw_name, str):
        return Unfixable("the vault's name or properties are not written out: switch it by hand")
    if len(path) < 2 or not isinstance(path[-2], str) or path[-2].lower() != "resources":
        return Unfixable("the vault is not declared in a template's resources")
    policies = _policy_roles(vault, raw_get(properties, "accessPolicies"))
    name = operand(raw_name)
    vault_id = f"resourceId('{raw_get(vault.raw, 'type')}', {name})"
    symbolic = isinstance(path[-1], str)
    assignments: list[tuple[str, dict[str, Any]]] = []
    container = value_at(document, path[:-1])
    taken = {k.lower() for k in container} if symbolic else set()
    assigned: set[tuple[str, str]] = set()  # one assignment per principal and role: its name is their guid()
    for policy in policies:
        if policy.principal is None:
            continue
        for role in policy.roles:
            if (policy.principal.lower(), role.name) in assigned:
                continue
            assigned.add((policy.principal.lower(), role.name))
            definition = f"subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{role.definition_id}')"
            assignment = {
                "type": ROLE_ASSIGNMENTS_TYPE,
                "apiVersion": ROLE_ASSIGNMENTS_API,
                "scope": f"[format('{raw_get(vault.raw, 'type')}/{{0}}', {name})]",
                "name": f"[guid({vault_id}, {operand(policy.principal)}, {definition})]",
                "dependsOn": [vault.symbolic_name if symbolic else f"[{vault_id}]"],
                "properties": {
                    "roleDefinitionId": f"[{definition}]",
                    "principalId": policy.principal,
                    "description": f"{role.name}: replaces access policy {policy.number} of this vault",
                },
            }
            symbol = fresh_name(taken, f"{vault.symbolic_name or 'vault'}{role.symbol}{policy.number}")
            taken.add(symbol.lower())
            assignments.append((symbol, assignment))

    text = document.text
    nl = newline_of(text)
    edits: list[Edit] = []
    # The explanation, above the vault: whoever copies the proposal reads it.
    start = document.key_location(path).offset if symbolic else document.location(path).offset
    indent = line_indent(text, start)
    line_start = text.rfind("\n", 0, start) + 1
    comment = _explanation(vault, policies, len(assignments))
    edits.append(Edit(line_start, line_start, indent + f"{nl}{indent}".join(comment) + nl))
    # enableRbacAuthorization: true.
    properties_path = path + (raw_key(vault.raw, "properties"),)
    switch_key = raw_key(properties, "enableRbacAuthorization")
    if switch_key in properties:
        where = document.location(properties_path + (switch_key,))
        edits.append(Edit(where.offset, where.end_offset, "true"))
    else:
        edits += insert_members(document, properties_path, [("enableRbacAuthorization", True)])
    # The role assignments, right after the vault.
    if assignments:
        if symbolic:
            keys = list(container)
            later = keys[keys.index(path[-1]) + 1:]
            edits += insert_members(document, path[:-1], assignments, before=later[0] if later else None)
        else:
            edits += insert_elements(document, path[:-1], [a for _, a in assignments], after=path[-1])
    title = (f"Switch the vault '{display_name(vault)}' to RBAC authorization with {len(assignments)} role "
             f"assignment{'s' if len(assignments) != 1 else ''} replacing its access policies")
    return Fix(title, tuple(sorted(edits, key=lambda e: (e.start, e.end))), "display-only")


def _policy_roles(vault: ExpandedResource, written: Any) -> list[PolicyRoles]:
    """Each policy's principal and roles: the objectId as written when the list is written out,
    else its value when known."""
    _, evaluated = evaluated_property(vault, "accessPolicies")
    out: list[PolicyRoles] = []
    if not isinstance(evaluated, list):
        return out
    for number, value in enumerate(evaluated, start=1):
        raw = written[number - 1] if isinstance(written, list) and number - 1 < len(written) else None
        principal = raw_get(raw, "objectId") if isinstance(raw, dict) else None
        known = raw_get(value, "objectId") if isinstance(value, dict) else None
        if not isinstance(principal, str):
            principal = known if isinstance(known, str) else None
        roles, notes = roles_for(raw_get(value, "permissions") if isinstance(value, dict) else None)
        if principal is None:
            notes = (*notes, "its objectId is only known at deployment: assign its roles by hand")
        if isinstance(value, dict) and raw_get(value, "applicationId"):
            notes = (*notes, "it is a compound identity (applicationId): RBAC has no equivalent, the roles go to objectId alone")
        out.append(PolicyRoles(number, principal, roles, notes))
    return out


def _explanation(vault: ExpandedResource, policies: list[PolicyRoles], assignments: int) -> list[str]:
    """The comment above the vault, one line each."""
    _, evaluated = evaluated_property(vault, "accessPolicies")
    if evaluated == []:
        listed = "this template lists no access policy"
    elif not isinstance(evaluated, list):
        listed = "its access policies come from an expression only known at deployment: assign their roles by hand"
    else:
        listed = (f"{_count(assignments, 'role assignment')} below {'replaces' if assignments == 1 else 'replace'} the "
                  f"{_count(len(policies), 'access policy', 'access policies')} this template lists")
    lines = [
        f"/* arm-validator, display-only (not applied): switch the vault '{display_name(vault)}' to Azure RBAC; {listed}.",
        "   - Rights: changing the permission model needs Microsoft.Authorization/roleAssignments/write on the vault,",
        "     that is Owner or User Access Administrator; without it the deployment fails with InsufficientPermissions.",
        "   - Migration window: enabling RBAC invalidates every access policy at once, and role assignments take",
        "     minutes to propagate. On a vault that exists, deploy the role assignments first with the vault still on",
        "     access policies (they are valid there), check access, then deploy enableRbacAuthorization: true.",
        "   - Policies added outside this template (an ML workspace's identity, the portal, az keyvault set-policy)",
        "     must be migrated too: list them with `az keyvault show --query properties.accessPolicies`.",
        "   - accessPolicies stays: RBAC ignores it, and switching back restores the stored policies.",
        "   - Each role is the least-privileged built-in one that covers the policy; it can grant more (an Officer",
        "     role also deletes and purges): use a custom role where that matters.",
    ]
    for policy in policies:
        roles = ", ".join(r.name for r in policy.roles) or "no role"
        lines.append(f"   - Access policy {policy.number}: {roles}" + "".join(f"; {n}" for n in policy.notes) + ".")
    lines.append("   Roles: the built-in Key Vault data-plane roles, learn.microsoft.com/azure/key-vault/general/rbac-guide */")
    return [line.replace("*/", "* /") if i < len(lines) - 1 else line for i, line in enumerate(lines)]


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
