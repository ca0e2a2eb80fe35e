"""Live rules: what a redeploy breaks, found by comparing the template with the live subscription
(`arm-validator check`). Each needs `LintContext.state`; the engine runs them only with one."""
from __future__ import annotations

from ..base import Rule
from .access_policies_lost import KeyVaultLiveAccessPoliciesLost
from .complete_mode_deletes import CompleteModeDeletesLiveResources
from .immutable_properties import LiveImmutablePropertyChanged
from .permission_model_flip import KeyVaultLivePermissionModelFlip
from .vault_name_conflicts import KeyVaultLiveNameConflict
from .vault_one_way_live import KeyVaultLiveProtectionOrTenantChanged
from .workspace_links_changed import WorkspaceLiveLinkChanged

RULES: tuple[type[Rule], ...] = (
    WorkspaceLiveLinkChanged,
    LiveImmutablePropertyChanged,
    CompleteModeDeletesLiveResources,
    KeyVaultLiveAccessPoliciesLost,
    KeyVaultLivePermissionModelFlip,
    KeyVaultLiveNameConflict,
    KeyVaultLiveProtectionOrTenantChanged,
)
