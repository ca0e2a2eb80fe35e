"""Policies written as data: YAML or JSON files, validated against `policy.schema.json` and
compiled into rules that the lint engine runs beside the built-in ones.

    policies:
      - id: POL-KV-002
        name: keyvault-purge-protection-off
        severity: warning
        summary: a Key Vault without purge protection
        remedy: set properties.enablePurgeProtection to true
        resourceType: Microsoft.KeyVault/vaults
        evaluation: {path: properties.enablePurgeProtection, equals: true}

The format and its semantics are documented in `policies/README.md` at the repository root.
"""

from __future__ import annotations

from .errors import PolicyError, Problem
from .loader import load_policies, policy_schema
from .rule import PolicyRule

__all__ = ["PolicyError", "PolicyRule", "Problem", "load_policies", "policy_schema"]
