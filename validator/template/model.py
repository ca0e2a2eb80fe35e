"""The expanded template: what a deployment would really send to Azure, with links back to source."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic
from ..expressions.values import Unknown, to_plain

if TYPE_CHECKING:
    from ..source import Document, Location

JsonPath = tuple[Any, ...]

# Top-level properties of a resource declaration that are not sent as the resource's body.
DECLARATION_KEYS = frozenset(
    {"name", "type", "apiversion", "condition", "copy", "dependson", "resources", "comments", "existing", "import"}
)


@dataclass
class ExpandedResource:
    """One resource instance after parameters, variables, conditions and copy loops are applied."""

    id: str | Unknown
    type: str
    name: str | Unknown  # the full name, `vault/secret` for child resources
    api_version: str
    deployed: bool | Unknown  # false: condition false, or an `existing` resource
    document: Document
    json_path: JsonPath  # where the declaration is in `document`
    raw: dict[str, Any]  # the declaration as written (unevaluated)
    body: dict[str, Any] = field(default_factory=dict)  # evaluated: location, sku, identity, properties, ...
    depends_on: list[str | Unknown] = field(default_factory=list)
    symbolic_name: str | None = None
    existing: bool = False
    copy_index: int | Unknown | None = None
    deployment: str | None = None  # the nested deployment that deploys it, None at top level
    target: str = ""  # the scope it is deployed to: a resource group or subscription ID

    @property
    def properties(self) -> Any:
        return self.body.get("properties")

    @property
    def type_lower(self) -> str:
        return self.type.lower()

    def location(self, *path: Any) -> Location:
        """Where `path` (relative to the declaration) is in source: the deepest existing node."""
        return self.document.location(self.json_path + tuple(path))

    def to_json(self) -> dict[str, Any]:
        loc = self.document.location(self.json_path)
        out: dict[str, Any] = {
            "id": to_plain(self.id),
            "type": self.type,
            "name": to_plain(self.name),
            "apiVersion": self.api_version,
            "deployed": self.deployed if isinstance(self.deployed, bool) else "unknown",
        }
        if self.symbolic_name is not None:
            out["symbolicName"] = self.symbolic_name
        if self.existing:
            out["existing"] = True
        if self.deployment is not None:
            out["deployment"] = self.deployment
        for key, value in self.body.items():
            if key != "properties":
                out[key] = to_plain(value)
        out["properties"] = to_plain(self.body.get("properties"))
        out["dependsOn"] = [to_plain(d) for d in self.depends_on]
        out["source"] = {"file": self.document.path, "line": loc.line, "column": loc.column}
        return out


@dataclass
class ParameterValue:
    """A template parameter's value after the command line, the parameter file and the default."""

    name: str
    type: str
    value: Any  # Unknown for secure values, Key Vault references and missing values
    origin: str  # "command line", "parameter file", "default", "missing", "nested deployment"
    secure: bool = False


@dataclass
class Expansion:
    """The result of expanding one template file."""

    document: Document
    resources: list[ExpandedResource] = field(default_factory=list)
    outputs: dict[str, tuple[str, Any]] = field(default_factory=dict)
    parameters: dict[str, ParameterValue] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    @property
    def has_unknowns(self) -> bool:
        from ..expressions.values import find_unknown

        return any(
            find_unknown(r.id) or find_unknown(r.body) or not isinstance(r.deployed, bool) for r in self.resources
        ) or any(find_unknown(v) for _, v in self.outputs.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "resources": [r.to_json() for r in self.resources],
            "outputs": {name: {"type": t, "value": to_plain(v)} for name, (t, v) in self.outputs.items()},
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }
