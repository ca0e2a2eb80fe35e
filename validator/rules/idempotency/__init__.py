"""Rules: redeploying the same template must not create, fail or delete anything new."""
from __future__ import annotations

from ..base import Rule
from .complete_mode import ConditionFalseDeletedInCompleteMode
from .resource_name import NondeterministicResourceName
from .role_assignment_name import RoleAssignmentNameNotStable
from .secrets import SecretRegeneratedEveryRun
from .storage_create_only import StoragePropertyCreateOnly

RULES: tuple[type[Rule], ...] = (
    NondeterministicResourceName,
    RoleAssignmentNameNotStable,
    SecretRegeneratedEveryRun,
    StoragePropertyCreateOnly,
    ConditionFalseDeletedInCompleteMode,
)
