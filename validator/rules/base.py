"""What a rule is, and what it sees of a template (`LintContext`)."""
from __future__ import annotations

import inspect
from functools import cached_property
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Iterator

from ..expressions.values import Unknown
from ..keys import find_key
from ..findings import Finding, Fix, Position, Related, Severity
from ..source import Document
from ..state.model import LiveState
from ..template.model import ExpandedResource, Expansion

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")


class Rule:
    """Base of every rule. Metadata lives on the class; documentation in its docstring, under the
    headings of `DOC_SECTIONS`; `check()` yields findings and keeps no state between templates."""

    id: ClassVar[str]
    name: ClassVar[str]  # kebab-case, says what is wrong: "keyvault-access-policies-replaced"
    severity: ClassVar[Severity]
    summary: ClassVar[str]  # one line, a noun phrase
    remedy: ClassVar[str]  # one line, what to do
    resource_types: ClassVar[tuple[str, ...]] = ()  # lower-case types it looks at; () for the whole template
    needs_live_state: ClassVar[bool] = False

    def check(self, ctx: "LintContext") -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def finding(
        cls,
        ctx: "LintContext",
        message: str,
        resource: ExpandedResource | None = None,
        path: tuple[Any, ...] = (),
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        fix: Fix | None = None,
        remedy: str | None = None,
    ) -> Finding:
        """A finding of this rule at `path`, relative to `resource`'s declaration when given."""
        if resource is not None:
            position = ctx.position(resource.document, resource.json_path + tuple(path))
            resource_id = resource.id if isinstance(resource.id, str) else None
        else:
            position = ctx.position(ctx.document, tuple(path))
            resource_id = None
        return Finding(
            rule_id=cls.id,
            severity=severity or cls.severity,
            message=message,
            position=position,
            remedy=remedy if remedy is not None else cls.remedy,
            resource_id=resource_id,
            related=tuple(related),
            fix=fix,
        )


@dataclass
class LintOptions:
    mode: str = "incremental"  # the deployment mode: "complete" deletes what the template does not deploy


@dataclass
class LintContext:
    """One expanded template, as the rules see it."""

    expansion: Expansion
    options: LintOptions = field(default_factory=LintOptions)
    state: LiveState | None = None  # live or snapshot state, for the rules that need it

    @property
    def document(self) -> Document:
        return self.expansion.document

    @property
    def template(self) -> Any:
        return self.expansion.document.value

    def resources(self, *types: str) -> Iterator[ExpandedResource]:
        """The expanded resources of the given types (case-insensitive), or all of them, in order."""
        if not types:
            return iter(self.expansion.resources)
        if len(types) == 1:  # most rules look at one type: ~40 rules ask for each file
            return iter(self._by_type.get(types[0].lower(), ()))
        wanted = {t.lower() for t in types}
        return (resource for resource in self.expansion.resources if resource.type_lower in wanted)

    @cached_property
    def _by_type(self) -> dict[str, list[ExpandedResource]]:
        found: dict[str, list[ExpandedResource]] = {}
        for resource in self.expansion.resources:
            found.setdefault(resource.type_lower, []).append(resource)
        return found

    @cached_property
    def _declared_at(self) -> dict[tuple[Any, ...], list[ExpandedResource]]:
        found: dict[tuple[Any, ...], list[ExpandedResource]] = {}
        for resource in self.expansion.resources:
            if resource.document is self.document:
                found.setdefault(resource.json_path, []).append(resource)
        return found

    def declared_at(self, json_path: tuple[Any, ...]) -> list[ExpandedResource]:
        """The resources (copy instances) of the declaration at `json_path` in the linted file."""
        return self._declared_at.get(tuple(json_path), [])

    def position(self, document: Document, json_path: tuple[Any, ...]) -> Position:
        loc = document.location(json_path)
        return Position(document.path, loc.line, loc.column, loc.end_line, loc.end_column, tuple(loc.json_path))

    def related(self, message: str, resource: ExpandedResource, *path: Any) -> Related:
        return Related(message, self.position(resource.document, resource.json_path + tuple(path)))


def display_name(resource: ExpandedResource) -> str:
    """The resource's resolved name, or its name expression as written when only Azure knows it."""
    if isinstance(resource.name, str):
        return resource.name
    return str(raw_get(resource.raw, "name"))


def deployed_every_run(resource: ExpandedResource) -> bool:
    """True when the resource is deployed by every run with the given parameters."""
    return resource.deployed is True


def raw_get(obj: Any, *path: Any) -> Any:
    """A value inside a raw (unevaluated) declaration; object keys match case-insensitively."""
    for key in path:
        if isinstance(obj, dict) and isinstance(key, str):
            if key in obj:  # the usual spelling: spares find_key's call (this runs ~200k times a corpus)
                obj = obj[key]
                continue
            found = find_key(obj, key)
            obj = None if found is None else obj[found]
        elif isinstance(obj, list) and isinstance(key, int) and 0 <= key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def raw_key(obj: Any, key: str) -> str:
    """The key as the template spells it (for JSON paths that point at source)."""
    return (find_key(obj, key) if isinstance(obj, dict) else None) or key


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)
