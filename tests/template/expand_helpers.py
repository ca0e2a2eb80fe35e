"""Helpers of the expansion tests: build templates, write them to disk, pick resources and errors."""
from __future__ import annotations

import json
import os
from typing import Any

from validator.template.model import ExpandedResource, Expansion

SUB = "00000000-0000-0000-0000-000000000000"
RG_PREFIX = f"/subscriptions/{SUB}/resourceGroups/rg/providers"
RG_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUB_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
PARAMS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"


def template(resources: Any = None, **sections: Any) -> dict[str, Any]:
    """A resource-group template with the given sections (`parameters`, `variables`, `outputs`, ...)."""
    body: dict[str, Any] = {"$schema": RG_SCHEMA, "contentVersion": "1.0.0.0"}
    body.update(sections)
    body["resources"] = resources if resources is not None else []
    return body


def write(folder: Any, name: str, content: dict[str, Any] | str) -> str:
    """Write JSON (a dict is dumped with indent 2) and return the file's path."""
    path = os.path.join(str(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def find(expansion: Expansion, rtype: str, name: str | None = None) -> ExpandedResource:
    """The one resource of `rtype` (and `name`), failing the test when there is not exactly one."""
    found = [
        r for r in expansion.resources
        if r.type.lower() == rtype.lower() and (name is None or (isinstance(r.name, str) and r.name.lower() == name.lower()))
    ]
    assert len(found) == 1, [(r.type, r.name) for r in expansion.resources]
    return found[0]


def errors(expansion: Expansion) -> list[tuple[str, int, int]]:
    """(code, line, column) of every error diagnostic, for exact assertions."""
    return [(d.code, d.line, d.column) for d in expansion.diagnostics if d.severity == "error"]
