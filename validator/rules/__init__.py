"""Every built-in rule, registered in one explicit list (no import side effects decide what runs)."""
from __future__ import annotations

from . import generic, idempotency, keyvault, live, workspace
from .base import Rule
from .reserved import DEPLOYMENT_REJECTED, LOAD_ERROR, RESERVED, RULE_CRASH

ALL_RULES: list[type[Rule]] = [
    *keyvault.RULES,
    *workspace.RULES,
    *idempotency.RULES,
    *generic.RULES,
    *live.RULES,
]


def rule_by_id(rule_id: str) -> type[Rule] | None:
    wanted = rule_id.upper()
    for rule in (*RESERVED, *ALL_RULES):
        if rule.id == wanted:
            return rule
    return None


__all__ = ["ALL_RULES", "DEPLOYMENT_REJECTED", "LOAD_ERROR", "RESERVED", "RULE_CRASH", "Rule", "rule_by_id"]
