"""Key Vault access-policy permissions: the enums of api-version 2023-07-01, `all` expanded, and
the comparison of a vault's live policies with the policies a template sends (who loses what)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...expressions.values import Unknown

# The permission enums of AccessPolicyEntry.permissions in api-version 2023-07-01 (without `all`),
# spelled as the spec spells them; comparisons use the lower-case forms.
SPELLED: dict[str, tuple[str, ...]] = {
    "keys": (
        "encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify", "get", "list", "create", "update", "import",
        "delete", "backup", "restore", "recover", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy",
    ),
    "secrets": ("get", "list", "set", "delete", "backup", "restore", "recover", "purge"),
    "certificates": (
        "get", "list", "delete", "create", "import", "update", "managecontacts", "getissuers", "listissuers",
        "setissuers", "deleteissuers", "manageissuers", "recover", "purge", "backup", "restore",
    ),
    "storage": (
        "get", "list", "delete", "set", "update", "regeneratekey", "recover", "purge", "backup", "restore", "setsas",
        "listsas", "getsas", "deletesas",
    ),
}
PERMISSIONS: dict[str, tuple[str, ...]] = {kind: tuple(p.lower() for p in names) for kind, names in SPELLED.items()}
KINDS = tuple(PERMISSIONS)
ALL = "all"


def _get(obj: Any, name: str) -> Any:
    """An object member, name case-insensitive (templates write `objectId`, `ObjectId`, ...)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    return next((v for k, v in obj.items() if isinstance(k, str) and k.lower() == name.lower()), None)


def permission_set(kind: str, values: Any) -> set[str] | Unknown:
    """The permissions of one kind, lower-case, `all` expanded to the enum (plus the `all` marker,
    so a permission newer than our enum still counts as granted); Unknown when only Azure knows."""
    if isinstance(values, Unknown):
        return values
    if values is None:
        return set()
    if not isinstance(values, list):
        return Unknown(f"permissions.{kind}")
    out: set[str] = set()
    for value in values:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, str):
            lowered = value.lower()
            out.update((*PERMISSIONS[kind], ALL) if lowered == ALL else (lowered,))
    return out


def ordered(kind: str, names: set[str]) -> list[str]:
    """Permissions in the enum's order and spelling, unknown names after, sorted; every permission
    of the enum reads `all`."""
    extra = sorted(n for n in names if n not in PERMISSIONS[kind] and n != ALL)
    if set(PERMISSIONS[kind]) <= names:
        return [ALL, *extra]
    return [spelled for spelled, p in zip(SPELLED[kind], PERMISSIONS[kind]) if p in names] + extra


@dataclass(frozen=True)
class Principal:
    """The identity of an access-policy entry: tenant, object and application IDs, lower-case
    (None: absent; Unknown: only Azure knows)."""

    tenant_id: str | Unknown | None
    object_id: str | Unknown | None
    application_id: str | Unknown | None

    @classmethod
    def of(cls, entry: Any) -> Principal:
        def read(name: str) -> str | Unknown | None:
            value = _get(entry, name)
            if isinstance(value, Unknown):
                return value
            return value.lower() if isinstance(value, str) and value else None

        return cls(read("tenantId"), read("objectId"), read("applicationId"))


@dataclass
class TemplateEntry:
    """One entry of the template's `accessPolicies`: its index, identity and permissions per kind."""

    index: int
    principal: Principal
    permissions: dict[str, set[str] | Unknown]
    unknown_entry: Unknown | None = None  # the whole entry is only known to Azure

    @property
    def unevaluated(self) -> Unknown | None:
        """Why the entry's identity cannot be compared offline, if it cannot."""
        if self.unknown_entry is not None:
            return self.unknown_entry
        for value in (self.principal.object_id, self.principal.tenant_id, self.principal.application_id):
            if isinstance(value, Unknown):
                return value
        return None


def template_entries(policies: list[Any]) -> list[TemplateEntry]:
    """The template's access-policy entries, read as far as they are known offline."""
    out: list[TemplateEntry] = []
    for index, entry in enumerate(policies):
        if isinstance(entry, Unknown) or not isinstance(entry, dict):
            unknown = entry if isinstance(entry, Unknown) else Unknown(f"accessPolicies[{index}]")
            out.append(TemplateEntry(index, Principal(None, None, None), {}, unknown))
            continue
        permissions = _get(entry, "permissions")
        if isinstance(permissions, Unknown):
            by_kind: dict[str, set[str] | Unknown] = {kind: permissions for kind in KINDS}
        else:
            by_kind = {kind: permission_set(kind, _get(permissions, kind)) for kind in KINDS}
        out.append(TemplateEntry(index, Principal.of(entry), by_kind))
    return out


def _same(live: str | Unknown | None, sent: str | Unknown | None, compare: bool = True) -> bool | None:
    """True / False when known, None when the template's value is only known to Azure."""
    if not compare:
        return True
    if isinstance(sent, Unknown):
        return None
    return live == sent


@dataclass
class Loss:
    """What one live principal loses when the template's list replaces the live one."""

    principal: Principal
    live: dict[str, set[str]]
    lost: dict[str, set[str]] = field(default_factory=dict)
    uncertain_entries: list[int] = field(default_factory=list)  # template entries that might be this principal
    unknown_permissions: list[int] = field(default_factory=list)  # matching entries whose permissions are unknown

    @property
    def certain(self) -> bool:
        return not self.uncertain_entries and not self.unknown_permissions

    @property
    def everything(self) -> bool:
        """Loses every permission it has (the case to read first)."""
        return all(self.lost.get(kind, set()) >= names - {ALL} for kind, names in self.live.items())

    @property
    def any(self) -> bool:
        return any(self.lost.values())


def losses(live_policies: list[Any], entries: list[TemplateEntry], compare_tenant: bool) -> list[Loss]:
    """For each live principal, the permissions the template's list does not grant it again.

    A template entry grants a principal its permissions when tenant, object and application IDs
    are equal (case-insensitive; the application ID absent on both sides counts as equal). An entry
    whose identity is only known to Azure is never taken as a match; a principal it might match is
    marked uncertain ("may lose"). `compare_tenant`: False when the template's tenant is unknown."""
    out: list[Loss] = []
    for entry in live_policies:
        if not isinstance(entry, dict):
            continue
        principal = Principal.of(entry)
        if not isinstance(principal.object_id, str):
            continue
        live_permissions = _get(entry, "permissions")
        live = {kind: permission_set(kind, _get(live_permissions, kind)) for kind in KINDS}
        live_sets = {kind: names for kind, names in live.items() if isinstance(names, set) and names}
        if not live_sets:
            continue  # an entry that grants nothing loses nothing
        loss = Loss(principal, live_sets)
        kept: dict[str, set[str]] = {kind: set() for kind in KINDS}
        for sent in entries:
            if sent.unknown_entry is not None:
                loss.uncertain_entries.append(sent.index)
                continue
            verdicts = (
                _same(principal.object_id, sent.principal.object_id),
                _same(principal.tenant_id, sent.principal.tenant_id, compare_tenant),
                _same(principal.application_id, sent.principal.application_id),
            )
            if False in verdicts:
                continue
            if None in verdicts:
                loss.uncertain_entries.append(sent.index)
                continue
            for kind in KINDS:
                granted = sent.permissions[kind]
                if isinstance(granted, Unknown):
                    if sent.index not in loss.unknown_permissions:
                        loss.unknown_permissions.append(sent.index)
                else:
                    kept[kind] |= granted
        for kind, names in live_sets.items():
            if ALL in kept[kind]:
                continue  # `all` in the template grants whatever the live entry had
            lost = names - kept[kind] - {ALL}
            if lost:
                loss.lost[kind] = lost
        if loss.any:
            out.append(loss)
    return out
