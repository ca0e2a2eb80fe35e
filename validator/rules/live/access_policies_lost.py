"""KV101: redeploying a live access-policy vault removes permissions from the principals it has."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...expressions.values import Unknown
from ...findings import Finding, Severity
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..keyvault.common import (
    evaluated_property,
    permission_model,
    property_path,
    raw_property,
)
from .common import (
    VAULTS,
    WorkspaceIdentity,
    as_bool,
    display_name,
    live_lookup,
    template_tenant,
    workspace_identities,
)
from .permissions import (
    KINDS,
    Loss,
    Principal,
    TemplateEntry,
    losses,
    ordered,
    template_entries,
)


def principal_label(principal: Principal, identities: dict[str, WorkspaceIdentity], vault_tenant: str | None) -> str:
    """Who a live principal is: the ML workspace identity by name, else its IDs."""
    assert isinstance(principal.object_id, str)
    known = identities.get(principal.object_id)
    label = f"{known.label} (objectId {principal.object_id})" if known else f"objectId {principal.object_id}"
    if isinstance(principal.application_id, str):
        label += f" with applicationId {principal.application_id}"
    if isinstance(principal.tenant_id, str) and principal.tenant_id != vault_tenant:
        label += f" in tenant {principal.tenant_id}"
    return label


def permissions_phrase(by_kind: dict[str, set[str]]) -> str:
    """`get, list on keys, get on secrets and all on storage`."""
    parts = [f"{', '.join(ordered(kind, by_kind[kind]))} on {kind}" for kind in KINDS if by_kind.get(kind)]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def unevaluated_phrase(entry: TemplateEntry, raw_policies: Any) -> str:
    """`[1] (objectId `[parameters('mlIdentity')]`)`: a template entry that cannot be compared offline."""
    unknown = entry.unevaluated
    written = raw_get(raw_get(raw_policies, entry.index), "objectId") if isinstance(raw_policies, list) else None
    if isinstance(written, str) and written.startswith("["):
        return f"[{entry.index}] (objectId `{written}`)"  # the expression as written names, never shows, a secret
    if unknown is not None and not unknown.secret:
        return f"[{entry.index}] (`{unknown.expression}`)"
    return f"[{entry.index}]"


class KeyVaultLiveAccessPoliciesLost(Rule):
    """
    ## What it does
    Compares the access policies of a Key Vault as it exists in Azure with the `accessPolicies` the
    template sends, for a vault that the template deploys on every run and that uses access
    policies both in Azure and in the template. For each principal of the live vault (object ID,
    tenant ID, application ID) it lists the permissions lost per kind (keys, secrets,
    certificates, storage): permissions compare case-insensitively and `all` is expanded to the
    permissions of api-version 2023-07-01. Principals that lose everything come first. When a
    principal is the managed identity (system- or user-assigned) of an Azure ML workspace linked
    to the vault (in the template or in Azure), the message names the workspace.

    Template entries whose object ID (or tenant or application ID) is only known at deployment
    time (`reference(...).principalId`) are named in the message and never taken as a match; a
    principal they might match is reported as one that "may lose" its permissions, and the
    finding is a warning when nothing is certain. A vault the template sends without
    `accessPolicies` is KV002's concern; a permission-model change is KV102's. When the vault
    cannot be read (403), a note says the check was skipped and which permission is missing.

    ## Why is this bad?
    A vault PUT replaces `properties.accessPolicies` with the template's list, so every
    permission granted outside the template is removed by the redeploy. The Azure ML docs: "Key
    Vault clears the access policies each time the template is used. Clearing the access policies
    breaks access to the Key Vault for any existing workspace that is using it." The workspace
    added its own policy when it was created, so its managed identity loses access to the
    secrets it keeps there and the workspace stops working.

    ## Example
    Live vault `kv-prod` has policies for the workspace `mlw-prod`'s identity, a CI service
    principal and an operator; the template sends:
    ```json
    "accessPolicies": [
      { "tenantId": "[subscription().tenantId]", "objectId": "<ci-principal>", "permissions": { "secrets": ["get"] } }
    ]
    ```

    ## Use instead
    Keep the vault out of the redeploy (a new/existing `condition`) and grant access with a
    `Microsoft.KeyVault/vaults/accessPolicies` child named `add`, or move the vault to RBAC
    (after creating equivalent role assignments). To keep redeploying it, put every live policy
    into the template (`az keyvault show -n kv-prod --query properties.accessPolicies`).

    ## References
    - https://learn.microsoft.com/azure/machine-learning/how-to-create-workspace-template
    - https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes
    """

    id = "KV101"
    name = "keyvault-live-access-policies-lost"
    severity = "error"
    summary = "principals of a live Key Vault that lose permissions when the template replaces its access policies"
    remedy = "keep the live vault out of the redeploy (new/existing condition) and add access with vaults/accessPolicies 'add' or RBAC"
    resource_types = (VAULTS,)
    needs_live_state = True

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for vault in ctx.resources(VAULTS):
            if permission_model(vault) != "access policies":
                continue
            live = live_lookup(ctx, type(self), vault, "which principals lose access")
            if live is None:
                continue
            if live.note is not None:
                yield live.note
                continue
            found = live.found
            if found is None or as_bool(found.properties.get("enableRbacAuthorization")) is True:
                continue  # new vault, or a model flip (KV102)
            present, policies = evaluated_property(vault, "accessPolicies")
            if not present or policies is None:
                continue  # omitted: KV002
            live_policies = found.properties.get("accessPolicies")
            if not isinstance(live_policies, list) or not live_policies:
                continue
            finding = self._compare(ctx, vault, policies, live_policies, found.properties.get("tenantId"))
            if finding is not None:
                yield finding

    def _compare(
        self, ctx: LintContext, vault: ExpandedResource, policies: Any, live_policies: list[Any], live_tenant: Any
    ) -> Finding | None:
        assert isinstance(vault.id, str)
        identities = workspace_identities(ctx, vault.id)
        vault_tenant = live_tenant.lower() if isinstance(live_tenant, str) else None
        name = display_name(vault)
        path = property_path(vault, "accessPolicies")
        related = [
            ctx.related(f"the ML workspace '{display_name(w)}' uses this vault", w, raw_key(w.raw, "properties"),
                        raw_key(raw_get(w.raw, "properties"), "keyVault"))
            for w in {id(i.declaration): i.declaration for i in identities.values() if i.declaration is not None}.values()
        ]
        if isinstance(policies, Unknown):
            # The whole list is only known at deployment time: say what is at stake, claim nothing.
            count = sum(1 for p in live_policies if isinstance(p, dict))
            written = raw_property(vault, "accessPolicies")
            source = f"`{written}`" if isinstance(written, str) else "an expression"
            at_stake = [i.label for i in identities.values()]
            message = (
                f"the vault '{name}' is redeployed and its {count} live access policies are replaced by the list from "
                f"{source}, which is only known at deployment time: any principal missing from it loses its access"
            )
            if at_stake:
                message += f", including {', '.join(at_stake)}"
            return self.finding(ctx, message, resource=vault, path=path, severity="warning", related=related)
        if not isinstance(policies, list):
            return None
        entries = template_entries(policies)
        compare_tenant = template_tenant(vault) is not None
        lost = losses(live_policies, entries, compare_tenant)
        if not lost:
            return None

        def order(loss: Loss) -> tuple[int, int]:
            return (0 if loss.everything else 1, 0 if loss.principal.object_id in identities else 1)

        lost.sort(key=order)  # stable: principals that lose everything first, workspace identities first
        parts = [self._principal_phrase(loss, identities, vault_tenant) for loss in lost]
        unevaluated = [e for e in entries if e.unevaluated is not None]
        message = f"redeploying the vault '{name}' replaces its live access policies: " + "; ".join(parts)
        if unevaluated:
            raw_policies = raw_property(vault, "accessPolicies")
            listed = ", ".join(unevaluated_phrase(e, raw_policies) for e in unevaluated)
            noun = "entry" if len(unevaluated) == 1 else "entries"
            them = "it" if len(unevaluated) == 1 else "them"
            message += f". The template's {noun} {listed} could not be evaluated offline; no principal is assumed to match {them}"
        severity: Severity = "error" if any(loss.certain for loss in lost) else "warning"
        return self.finding(ctx, message, resource=vault, path=path, severity=severity, related=related)

    @staticmethod
    def _principal_phrase(loss: Loss, identities: dict[str, WorkspaceIdentity], vault_tenant: str | None) -> str:
        label = principal_label(loss.principal, identities, vault_tenant)
        verb = "loses" if loss.certain else "may lose"
        if loss.everything:
            phrase = f"{label} {verb} all its access ({permissions_phrase(loss.lost)})"
        else:
            phrase = f"{label} {verb} {permissions_phrase(loss.lost)}"
        if loss.principal.object_id in identities:
            phrase += " — the workspace stops working"
        if not loss.certain:
            maybe = sorted(set(loss.uncertain_entries + loss.unknown_permissions))
            one = len(maybe) == 1
            phrase += f", unless template entr{'y' if one else 'ies'} {', '.join(f'[{i}]' for i in maybe)} grant{'s' if one else ''} it"
        return phrase
