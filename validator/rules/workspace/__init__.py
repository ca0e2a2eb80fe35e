"""Rules: Azure ML workspaces and the resources they link to."""
from __future__ import annotations

from ..base import Rule
from .default_storage import WorkspaceDefaultStorageUnsupported
from .linked_redeployed import WorkspaceLinkedResourceRedeployed
from .linked_resources import WorkspaceLinkNondeterministic

RULES: tuple[type[Rule], ...] = (WorkspaceLinkNondeterministic, WorkspaceDefaultStorageUnsupported, WorkspaceLinkedResourceRedeployed)
