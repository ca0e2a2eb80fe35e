"""Rules: Key Vault access policies and one-way vault settings on redeploy."""
from __future__ import annotations

from ..base import Rule
from .access_policies_missing import KeyVaultAccessPoliciesMissing
from .access_policies_replaced import KeyVaultAccessPoliciesReplaced
from .access_policy_operation import KeyVaultAccessPolicyOperationUnsafe
from .create_mode_recover import KeyVaultCreateModeRecover
from .one_way_properties import KeyVaultPurgeProtectionFalse, KeyVaultSoftDeleteFalse
from .tenant_mismatch import KeyVaultAccessPolicyTenantMismatch

RULES: tuple[type[Rule], ...] = (
    KeyVaultAccessPoliciesReplaced,
    KeyVaultAccessPoliciesMissing,
    KeyVaultCreateModeRecover,
    KeyVaultPurgeProtectionFalse,
    KeyVaultSoftDeleteFalse,
    KeyVaultAccessPolicyTenantMismatch,
    KeyVaultAccessPolicyOperationUnsafe,
)
