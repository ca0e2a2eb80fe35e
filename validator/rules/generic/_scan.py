"""What the generic template-quality rules share: the template objects of a file (the root and its
inline nested templates), every resource declaration as written, expression parse trees, and
positions inside a JSON string.

These rules check the template *as written*, so they walk the source document rather than the
expanded resources: a declaration in a copy loop whose count is 0, or under a false condition, is
still checked, and a declaration in a copy loop is reported once. Only the linted file itself is
walked: a linked template (`templateLink`) is a file of its own and is linted on its own.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import Any, Callable, Iterator, NamedTuple, TypeVar

from ...expressions.parser import (
    Call,
    Literal,
    Node,
    Property,
    is_expression,
    try_parse,
    walk,
)
from ...findings import Finding, Fix, Position, Severity
from ...source import Document
from ..base import LintContext, Rule, raw_get, raw_key

JsonPath = tuple[Any, ...]
DEPLOYMENTS = "microsoft.resources/deployments"


@dataclass(frozen=True)
class TemplateScope:
    """One template object of the file: the root, or the inline `template` of a nested deployment."""

    path: JsonPath  # where the template object is in the document
    template: dict[str, Any]
    own_scope: bool  # the root, or a nested template with `inner` scope: it has its own parameters and variables
    parent: "TemplateScope | None"

    @property
    def is_root(self) -> bool:
        return self.parent is None

    @property
    def owner(self) -> "TemplateScope":
        """The template whose parameters and variables this one's expressions see."""
        scope = self
        while not scope.own_scope and scope.parent is not None:
            scope = scope.parent
        return scope


@dataclass(frozen=True)
class Declaration:
    """One resource declaration as written (a copy loop is one declaration)."""

    path: JsonPath
    raw: dict[str, Any]
    type: str  # the full type as written; a child's short type is prefixed with its parent's
    scope: TemplateScope
    parent: "Declaration | None"
    # Read by most rules for every declaration: plain fields, set once (see `_declaration_tree`).
    type_lower: str = ""
    existing: bool = False

    def child_path(self, *keys: str) -> JsonPath:
        """The path of a property below the declaration, keys spelled as in the template."""
        path, obj = self.path, self.raw
        for key in keys:
            spelled = raw_key(obj, key)
            path += (spelled,)
            obj = obj.get(spelled) if isinstance(obj, dict) else None
        return path


def _resource_entries(template: dict[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    resources = raw_get(template, "resources")
    key = raw_key(template, "resources")
    if isinstance(resources, list):
        for i, decl in enumerate(resources):
            yield path + (key, i), decl
    elif isinstance(resources, dict):  # languageVersion 2.0: symbolic names
        for symbol, decl in resources.items():
            yield path + (key, symbol), decl


# The walks below are module-level functions, not nested ones: a nested function that calls
# itself is a reference cycle, which keeps the template it walks alive until the cyclic garbage
# collector runs, instead of freeing it as soon as the file is done.


def _declarations_in(scope: TemplateScope) -> Iterator[Declaration]:
    for path, decl in _resource_entries(scope.template, scope.path):
        yield from _declaration_tree(scope, path, decl, None)


def _declaration_tree(scope: TemplateScope, path: JsonPath, decl: Any, parent: Declaration | None) -> Iterator[Declaration]:
    """A declaration and its child resources (`resources` inside it), depth first."""
    if not isinstance(decl, dict):
        return
    rtype = raw_get(decl, "type")
    rtype = rtype if isinstance(rtype, str) else ""
    if parent is not None and rtype and not is_expression(rtype) and rtype.count("/") == 0:
        rtype = f"{parent.type}/{rtype}"
    declaration = Declaration(path, decl, rtype, scope, parent, rtype.lower(), raw_get(decl, "existing") is True)
    yield declaration
    children = raw_get(decl, "resources")
    if isinstance(children, list):
        key = raw_key(decl, "resources")
        for i, child in enumerate(children):
            yield from _declaration_tree(scope, path + (key, i), child, declaration)


def _nested_template(declaration: Declaration) -> tuple[JsonPath, dict[str, Any], bool] | None:
    """The inline template of a nested deployment, its path, and whether it has inner scope."""
    if declaration.type_lower != DEPLOYMENTS:
        return None
    properties = raw_get(declaration.raw, "properties")
    template = raw_get(properties, "template")
    if not isinstance(template, dict):
        return None
    scope = raw_get(properties, "expressionEvaluationOptions", "scope")
    inner = isinstance(scope, str) and scope.lower() == "inner"
    return declaration.child_path("properties", "template"), template, inner


T = TypeVar("T")


def per_document(compute: Callable[[Document], T]) -> Callable[[Document], T]:
    """Several rules walk the same document: compute `compute(document)` once per document."""
    memo: "weakref.WeakKeyDictionary[Document, T]" = weakref.WeakKeyDictionary()

    @wraps(compute)
    def cached(document: Document) -> T:
        try:
            return memo[document]
        except KeyError:
            value = memo[document] = compute(document)
            return value

    return cached


@per_document
def template_scopes(document: Document) -> list[TemplateScope]:
    """The root template and every inline nested template of the file, outermost first."""
    return _template_scopes(document)


def _template_scopes(document: Document) -> list[TemplateScope]:
    if not isinstance(document.value, dict):
        return []
    scopes: list[TemplateScope] = []
    _add_scope(TemplateScope((), document.value, True, None), scopes)
    return scopes


def _add_scope(scope: TemplateScope, scopes: list[TemplateScope]) -> None:
    scopes.append(scope)
    for declaration in _declarations_in(scope):
        nested = _nested_template(declaration)
        if nested is not None:
            path, template, inner = nested
            _add_scope(TemplateScope(path, template, inner, scope), scopes)


@dataclass(frozen=True)
class ParameterDeclaration:
    """One entry of a template object's `parameters`, with the JSON path of the entry."""

    scope: TemplateScope
    name: str
    decl: dict[str, Any]
    path: JsonPath


@per_document
def parameter_declarations(document: Document) -> list[ParameterDeclaration]:
    """Every parameter declaration of the file (an object), nested templates' included."""
    found: list[ParameterDeclaration] = []
    for scope in template_scopes(document):
        parameters = raw_get(scope.template, "parameters")
        if not isinstance(parameters, dict):
            continue
        section = raw_key(scope.template, "parameters")
        for name, decl in parameters.items():
            if isinstance(decl, dict):
                found.append(ParameterDeclaration(scope, name, decl, scope.path + (section, name)))
    return found


@per_document
def declarations(document: Document) -> list[Declaration]:
    """Every resource declaration of the file, nested templates' and child resources' included."""
    return [declaration for scope in template_scopes(document) for declaration in _declarations_in(scope)]


def display_name(ctx: LintContext, declaration: Declaration) -> str:
    """The resource, quoted for a message: its resolved name when one instance has a known name,
    else its symbolic name (languageVersion 2.0), else its name expression shortened."""
    names = {r.name for r in ctx.declared_at(declaration.path)}
    if len(names) == 1:
        (name,) = names
        if isinstance(name, str):
            return f"'{name}'"
    if isinstance(declaration.path[-1], str) and declaration.parent is None:
        return f"'{declaration.path[-1]}'"
    raw = raw_get(declaration.raw, "name")
    return f"'{quoted(raw, 60)}'" if isinstance(raw, str) else f"the {declaration.type or 'resource'}"


# --- walking JSON ---------------------------------------------------------------------------------


def iter_strings(value: Any, path: JsonPath, skip: frozenset[JsonPath] = frozenset()) -> Iterator[tuple[JsonPath, str, bool]]:
    """Every string below `value` as `(path, text, is_key)`: values, and property names (an
    expression can be a property name). Subtrees at a path in `skip` are left out."""
    if path in skip:
        return
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path + (key,), key, True
            yield from iter_strings(item, path + (key,), skip)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from iter_strings(item, path + (i,), skip)


class StringEntry(NamedTuple):
    """A string of the document that starts with '[' (an expression, or an escaped '[[')."""

    parent: JsonPath  # the object or array that holds it
    key: str | int  # its property name or index there
    text: str
    is_key: bool  # a property name
    owner: JsonPath | None  # the template with its own scope whose parameters() and variables() it sees; None in user-defined functions

    @property
    def path(self) -> JsonPath:
        return self.parent + (self.key,)


@dataclass(frozen=True)
class ExpressionFacts:
    """An expression's parse tree and its built-in calls by lower-case name (in walk order)."""

    tree: Node
    calls: dict[str, tuple[Call, ...]]


@lru_cache(maxsize=65536)
def expression_facts(text: str) -> ExpressionFacts | None:
    """Parse tree and calls of a string that is an expression Azure accepts; None otherwise."""
    tree = try_parse(text)
    if tree is None:
        return None
    found: dict[str, list[Call]] = {}
    for node in walk(tree):
        if isinstance(node, Call) and node.namespace is None:
            found.setdefault(node.name.lower(), []).append(node)
    return ExpressionFacts(tree, {name: tuple(nodes) for name, nodes in found.items()})


@dataclass
class DocumentIndex:
    """A document's expression strings, found once for every rule that looks at them."""

    strings: list[StringEntry]  # in document order
    by_owner: dict[JsonPath | None, list[StringEntry]]
    dotted: list[tuple[JsonPath, str]]  # string values with a '.', outside `$schema` and `metadata`
    _lowered: list[str] = field(default_factory=list)  # the strings' texts in lower case, for cheap tests

    def calls(self, *names: str, mentioning: re.Pattern[str] | None = None) -> Iterator[tuple[StringEntry, Call]]:
        """Calls of the built-in functions `names` (lower-case) anywhere in the document. Only the
        strings that mention one of the names (and match `mentioning`, a cheap textual test of
        the lower-case text that a rule needs anyway) are parsed."""
        if not self._lowered:
            self._lowered = [entry.text.lower() for entry in self.strings]
        named = _any_of(names)
        for entry, lowered in zip(self.strings, self._lowered):
            if named.search(lowered) and (mentioning is None or mentioning.search(lowered)):
                facts = expression_facts(entry.text)
                if facts is not None:
                    for name in names:
                        for call in facts.calls.get(name, ()):
                            yield entry, call


@lru_cache(maxsize=None)
def _any_of(names: tuple[str, ...]) -> re.Pattern[str]:
    """One search for several names (a C loop instead of a Python one per string)."""
    return re.compile("|".join(map(re.escape, names)))


_DESCRIPTIVE = ("$schema", "metadata")  # descriptions and links, not deployed


class _StringWalk:
    """Collects a document's expression strings and dotted strings in one walk."""

    def __init__(self, switch: dict[JsonPath, JsonPath | None]):
        self.switch = switch  # where the owner changes
        self.switch_keys = {path[-1] for path in switch if path}  # a cheap test before hashing a whole path
        self.strings: list[StringEntry] = []
        self.dotted: list[tuple[JsonPath, str]] = []

    def visit(self, value: Any, path: JsonPath, owner: JsonPath | None, described: bool) -> None:
        # `type(x) is` rather than isinstance: parsed JSON holds exactly these types, and this
        # loop runs for every value of every file.
        append, dotted = self.strings.append, self.dotted
        if type(value) is dict:
            for key, item in value.items():
                if key[:1] == "[":
                    append(StringEntry(path, key, key, True, owner))
                kind = type(item)
                if kind is str:
                    if item[:1] == "[":
                        append(StringEntry(path, key, item, False, owner))
                    if "." in item and not described and key.lower() not in _DESCRIPTIVE:
                        dotted.append((path + (key,), item))
                elif kind is dict or kind is list:
                    child = path + (key,)
                    self.visit(
                        item,
                        child,
                        self.switch.get(child, owner) if key in self.switch_keys else owner,
                        described or (key[:1] in "$mM" and key.lower() in _DESCRIPTIVE),
                    )
        else:
            for index, item in enumerate(value):
                kind = type(item)
                if kind is str:
                    if item[:1] == "[":
                        append(StringEntry(path, index, item, False, owner))
                    if "." in item and not described:
                        dotted.append((path + (index,), item))
                elif kind is dict or kind is list:
                    self.visit(item, path + (index,), owner, described)


@per_document
def document_index(document: Document) -> DocumentIndex:
    """The document's expression strings, which template scope each belongs to, and the calls in
    them; computed once per document."""
    # Where the owner changes: a nested template with its own scope, and a `functions` section.
    switch: dict[JsonPath, JsonPath | None] = {}
    for scope in template_scopes(document):
        if scope.own_scope:
            switch[scope.path] = scope.path
            if raw_get(scope.template, "functions") is not None:
                switch[scope.path + (raw_key(scope.template, "functions"),)] = None
    walk = _StringWalk(switch)
    root = document.value
    if isinstance(root, (dict, list)):
        walk.visit(root, (), () if isinstance(root, dict) else None, False)
    strings, dotted = walk.strings, walk.dotted
    by_owner: dict[JsonPath | None, list[StringEntry]] = {}
    for entry in strings:
        by_owner.setdefault(entry.owner, []).append(entry)
    return DocumentIndex(strings, by_owner, dotted)


# --- expressions ----------------------------------------------------------------------------------


def calls(node: Node, *names: str) -> Iterator[Call]:
    """Calls of built-in functions named `names` (lower-case) inside a tree."""
    for sub in walk(node):
        if isinstance(sub, Call) and sub.namespace is None and sub.name.lower() in names:
            yield sub


def builtin_calls(node: Node) -> Iterator[Call]:
    """Every call of a built-in function (not a user-defined `namespace.name()`) inside a tree."""
    for sub in walk(node):
        if isinstance(sub, Call) and sub.namespace is None:
            yield sub


def literal_argument(call: Call, index: int = 0) -> str | None:
    """The string literal at `index` in a call's arguments, or None."""
    if len(call.args) > index:
        arg = call.args[index]
        if isinstance(arg, Literal) and isinstance(arg.value, str):
            return arg.value
    return None


def is_call_to(node: Node, name: str) -> bool:
    return isinstance(node, Call) and node.namespace is None and node.name.lower() == name


def is_property_of_call(node: Node, function: str, prop: str) -> bool:
    """`function().prop`, like `subscription().subscriptionId`."""
    return (
        isinstance(node, Property)
        and node.name.lower() == prop
        and isinstance(node.target, Call)
        and node.target.namespace is None
        and node.target.name.lower() == function
        and not node.target.args
    )


# `parameters('name')` / `variables('name')` (group 2, '' escapes a quote), or with a computed
# argument (group 2 None).
_REFERENCE = re.compile(r"\b(parameters|variables)\s*\(\s*(?:'((?:[^']|'')*)'|(?=[^\s)]))", re.IGNORECASE)


# `deployment().properties.parameters` reads every parameter without naming it.
_WHOLE_DEPLOYMENT = re.compile(r"deployment\s*\(\s*\)\s*\.\s*properties\s*\.\s*(parameters|template)", re.IGNORECASE)


@lru_cache(maxsize=65536)  # templates repeat the same expressions: 14k distinct in 125k in the AVM corpus
def named_references(text: str) -> dict[str, tuple[frozenset[str], bool]]:
    """For `parameters` and `variables`: the lower-case names an expression refers to with a
    literal (`parameters('name')`), and whether it also refers to one by a computed name
    (`variables(concat(...))`, or `deployment().properties.parameters`, which reads them all). Found textually, without parsing: a name that only appears inside
    a string literal counts as used, which can only keep a declaration from being reported."""
    names: dict[str, set[str]] = {"parameters": set(), "variables": set()}
    dynamic = {"parameters": False, "variables": False}
    for m in _REFERENCE.finditer(text):
        function, name = m.group(1).lower(), m.group(2)
        if name is None:
            dynamic[function] = True
        else:
            names[function].add(name.replace("''", "'").lower())
    if _WHOLE_DEPLOYMENT.search(text):
        dynamic["parameters"] = True
    return {function: (frozenset(names[function]), dynamic[function]) for function in names}


# --- positions ------------------------------------------------------------------------------------


def position(ctx: LintContext, path: JsonPath, key: bool = False) -> Position:
    """The position of the value at `path` in the linted file, or of its property name (`key`)."""
    loc = ctx.document.key_location(path) if key else ctx.document.location(path)
    return Position(loc.file, loc.line, loc.column, loc.end_line, loc.end_column, tuple(loc.json_path))


def entry_position(ctx: LintContext, entry: StringEntry, span: tuple[int, int] | None = None) -> Position:
    """The position of an indexed string (a property name: all of it), or of the characters `span`
    (offsets into the decoded string) of a string value."""
    if entry.is_key:
        return position(ctx, entry.path, key=True)
    return position_in_string(ctx, entry.path, span) if span is not None else position(ctx, entry.path)


def position_in_string(ctx: LintContext, path: JsonPath, span: tuple[int, int]) -> Position:
    """The position of the characters `span` (offsets into the decoded string) of the string at `path`."""
    document = ctx.document
    if not document.has_path(path):
        return position(ctx, path)
    start = document.source_offset_in_string(path, span[0])
    end = document.source_offset_in_string(path, span[1])
    line, column = document.position(start)
    end_line, end_column = document.position(end)
    return Position(document.path, line, column, end_line, end_column, tuple(path))


def finding(
    rule: type[Rule] | Rule,
    ctx: LintContext,
    message: str,
    where: Position,
    severity: Severity | None = None,
    fix: Fix | None = None,
) -> Finding:
    """A finding of `rule` at a position built by `position()` or `position_in_string()`."""
    return Finding(
        rule_id=rule.id,
        severity=severity or rule.severity,
        message=message,
        position=where,
        remedy=rule.remedy,
        fix=fix,
    )


def quoted(text: str, limit: int = 80) -> str:
    """A value or an expression shortened for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
