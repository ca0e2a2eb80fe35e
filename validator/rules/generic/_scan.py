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
from dataclasses import dataclass
from functools import lru_cache, partial, wraps
from itertools import compress, count, product, repeat
from operator import contains, indexOf, itemgetter
from typing import Any, Callable, Iterable, Iterator, NamedTuple, TypeVar

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
from ...keys import find_key
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


class Declaration(NamedTuple):  # immutable like a frozen dataclass, and built 3x faster (28k over the corpus)
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


# The keys of a resource declaration, each spelled as templates usually spell it: for
# `find_key(decl, name, USUAL_DECLARATION_KEYS)`, which settles in C that a declaration has no
# `location`, `dependsOn`, `existing` or child `resources` under any spelling (most have none).
USUAL_DECLARATION_KEYS = frozenset(
    {
        "apiVersion", "comments", "condition", "copy", "dependsOn", "existing", "extendedLocation", "identity",
        "kind", "location", "managedBy", "metadata", "name", "plan", "properties", "resourceGroup", "resources",
        "scope", "sku", "subscriptionId", "tags", "type", "zones",
    }
)


# The walks below are module-level functions, not nested ones: a nested function that calls
# itself is a reference cycle, which keeps the template it walks alive until the cyclic garbage
# collector runs, instead of freeing it as soon as the file is done.


def _declarations_in(scope: TemplateScope) -> list[Declaration]:
    found: list[Declaration] = []
    template = scope.template
    key = "resources" if "resources" in template else raw_key(template, "resources")
    resources = template.get(key)
    if type(resources) is list:
        entries: Iterable[tuple[str | int, Any]] = enumerate(resources)
    elif type(resources) is dict:  # languageVersion 2.0: symbolic names
        entries = resources.items()
    else:
        return found
    section = scope.path + (key,)
    for at, decl in entries:
        _declaration_tree(scope, section + (at,), decl, None, found)
    return found


def _declaration_tree(scope: TemplateScope, path: JsonPath, decl: Any, parent: Declaration | None, found: list[Declaration]) -> None:
    """Adds a declaration and its child resources (`resources` inside it) to `found`, depth first."""
    if type(decl) is not dict:
        return
    rtype = decl["type"] if "type" in decl else raw_get(decl, "type")
    if type(rtype) is not str:
        rtype = ""
    elif parent is not None and rtype and "/" not in rtype and not is_expression(rtype):
        rtype = f"{parent.type}/{rtype}"
    # Most declarations have neither `existing` nor child `resources` (see USUAL_DECLARATION_KEYS).
    key = find_key(decl, "existing", USUAL_DECLARATION_KEYS)
    existing = key is not None and decl[key] is True
    declaration = Declaration(path, decl, rtype, scope, parent, rtype.lower(), existing)
    found.append(declaration)
    key = find_key(decl, "resources", USUAL_DECLARATION_KEYS)
    if key is not None:
        children = decl[key]
        if type(children) is list:
            for i, child in enumerate(children):
                _declaration_tree(scope, path + (key, i), child, declaration, found)


def _nested_template(declaration: Declaration) -> tuple[JsonPath, dict[str, Any], bool] | None:
    """The inline template of a nested deployment, its path, and whether it has inner scope."""
    if declaration.type_lower != DEPLOYMENTS:
        return None
    # A third of the declarations of the corpus are nested deployments: keys spelled as usual first.
    decl = declaration.raw
    section = "properties" if "properties" in decl else find_key(decl, "properties")
    properties = decl[section] if section is not None else None
    if type(properties) is not dict:
        return None
    key = "template" if "template" in properties else find_key(properties, "template")
    template = properties[key] if key is not None else None
    if type(template) is not dict:
        return None
    scope = raw_get(properties, "expressionEvaluationOptions", "scope")
    inner = isinstance(scope, str) and scope.lower() == "inner"
    return declaration.path + (section, key), template, inner


T = TypeVar("T")


def per_document(compute: Callable[[Document], T]) -> Callable[[Document], T]:
    """Several rules walk the same document: compute `compute(document)` once per document."""

    @wraps(compute)
    def cached(document: Document) -> T:
        derived = document.derived
        try:
            return derived[compute]  # type: ignore[no-any-return]
        except KeyError:
            value = derived[compute] = compute(document)
            return value

    return cached


def template_scopes(document: Document) -> list[TemplateScope]:
    """The root template and every inline nested template of the file, outermost first."""
    return _template_tree(document)[0]


@per_document
def _template_tree(document: Document) -> tuple[list[TemplateScope], list[Declaration]]:
    """The template objects of the file and every declaration in them: finding the nested
    templates means going through the declarations anyway."""
    scopes: list[TemplateScope] = []
    declared: list[list[Declaration]] = []  # those of each scope, in the order of `scopes`
    if isinstance(document.value, dict):
        _add_scope(TemplateScope((), document.value, True, None), scopes, declared)
    return scopes, [declaration for found in declared for declaration in found]


def _add_scope(scope: TemplateScope, scopes: list[TemplateScope], declared: list[list[Declaration]]) -> None:
    scopes.append(scope)
    found: list[Declaration] = []
    declared.append(found)
    for declaration in _declarations_in(scope):
        found.append(declaration)
        nested = _nested_template(declaration)
        if nested is not None:
            path, template, inner = nested
            _add_scope(TemplateScope(path, template, inner, scope), scopes, declared)


class ParameterDeclaration(NamedTuple):  # like Declaration: 38k over the corpus
    """One entry of a template object's `parameters`, with the JSON path of the entry."""

    scope: TemplateScope
    name: str
    decl: dict[str, Any]
    path: JsonPath


# `ParameterDeclaration(...)` calls the Python function NamedTuple generates; `tuple.__new__`
# builds the same object in C (a sixth less time for the 38k parameters of the corpus).
_new_parameter_declaration = partial(tuple.__new__, ParameterDeclaration)


@per_document
def parameter_declarations(document: Document) -> list[ParameterDeclaration]:
    """Every parameter declaration of the file (an object), nested templates' included."""
    found: list[ParameterDeclaration] = []
    for scope in template_scopes(document):
        template = scope.template
        section = "parameters" if "parameters" in template else raw_key(template, "parameters")
        parameters = template.get(section)
        if type(parameters) is not dict:
            continue
        at = scope.path + (section,)
        for name, decl in parameters.items():
            if type(decl) is dict:
                found.append(_new_parameter_declaration((scope, name, decl, at + (name,))))
    return found


def declarations(document: Document) -> list[Declaration]:
    """Every resource declaration of the file, nested templates' and child resources' included
    (the root template's first, then each nested template's, in the order of `template_scopes`)."""
    return _template_tree(document)[1]


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


Container = dict[str, Any] | list[Any]


class ContainerPaths:
    """The JSON path of the objects and arrays of a document, by identity. Found on demand: the
    index keeps a string's container rather than its path, since building a path for each of the
    ~400k containers of a corpus costs more than the walk itself, while only the few strings that
    end up in a finding need one. And only where they are: the walk noted which strings each
    resource declaration holds (see `_collect_resources`), so the search for a string's container
    leaves out the declarations that hold none of its strings, as nearly all do."""

    def __init__(self, root: Any, walk: _StringWalk):
        self._root = root  # keeps the containers alive, so their ids stay theirs
        self._strings, self._dotted, self._declared = walk.strings, walk.dotted, walk.declared
        self._found: dict[int, JsonPath] = {}

    def path(self, container: Container, key: str | int) -> JsonPath:
        """The path of the value at `key` in `container` (one that holds a string of the index)."""
        found = self._found
        if id(container) not in found:
            self._search(container)
        return found[id(container)] + (key,)

    def _search(self, container: Container) -> None:
        """Finds the paths of the containers of the document but those in the declarations that
        hold none of the strings of `container`: it is walked while each declaration around it
        is, so its strings are among theirs."""
        skip: set[int] = set()
        noted = self._declared  # each declaration, then its range in `strings`, then in `dotted`
        for entries, first in ((self._strings, 1), (self._dotted, 3)):
            try:  # the index of one of its strings, found in C: a search that stops at the first
                at = indexOf(map(id, map(itemgetter(0), entries)), id(container))
            except ValueError:
                continue
            ranges = zip(noted[::5], noted[first::5], noted[first + 1 :: 5])
            skip = {id(declaration) for declaration, start, end in ranges if not start <= at < end}
            break
        if type(self._root) is dict or type(self._root) is list:
            _container_paths(self._root, (), self._found, skip)


def _container_paths(value: Container, path: JsonPath, found: dict[int, JsonPath], skip: set[int]) -> None:
    found[id(value)] = path
    items = value.items() if type(value) is dict else enumerate(value)
    for key, item in items:
        if (type(item) is dict or type(item) is list) and id(item) not in skip:
            _container_paths(item, path + (key,), found, skip)


class StringEntry(NamedTuple):
    """A string of the document that starts with '[' (an expression, or an escaped '[[')."""

    container: Container  # the object or array that holds it
    key: str | int  # its property name or index there
    text: str
    is_key: bool  # a property name
    paths: ContainerPaths  # the document's, to find `path` when a finding needs it

    @property
    def path(self) -> JsonPath:
        return self.paths.path(self.container, self.key)


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

    # (container, key, text, is_key) of each, in document order: plain tuples, as most are
    # only ever searched as text (see `calls`).
    strings: list[tuple[Container, str | int, str, bool]]
    # The texts of the strings by the template whose parameters() and variables() they see:
    # its path, or None for user-defined functions.
    texts_by_owner: dict[JsonPath | None, list[str]]
    dotted: list[tuple[Container, str | int, str]]  # string values with a '.', outside `$schema` and `metadata`
    paths: ContainerPaths  # `paths.path(container, key)`: where a string is
    _lowered: list[str] | None = None  # the strings' texts in lower case, for cheap tests
    _joined: str | None = None  # the same, joined: one search tells whether any of them matches

    def calls(self, *names: str, mentioning: re.Pattern[str] | None = None) -> Iterator[tuple[StringEntry, Call]]:
        """Calls of the built-in functions `names` (lower-case) anywhere in the document, in
        document order. Only the strings that mention one of the names (and match `mentioning`,
        a cheap textual test of the lower-case text that a rule needs anyway; without anchors such
        as `^`, since it is first tried on all the texts at once) are parsed."""
        everything = self._everything()
        if not any(map(everything.__contains__, names)) or (mentioning is not None and not mentioning.search(everything)):
            return  # most documents: one search of all their texts rules them out
        entries: Iterable[tuple[Container, str | int, str, bool]] = map(self.strings.__getitem__, self._mentioning(names))
        if mentioning is not None:  # most strings fail it: tested in C (`map`, `compress`), mostly by a cache hit
            entries = list(entries)
            entries = compress(entries, map(_matcher(mentioning), map(itemgetter(2), entries)))
        for container, key, text, is_key in entries:
            facts = expression_facts(text)
            if facts is None:
                continue
            entry = StringEntry(container, key, text, is_key, self.paths)
            for name in names:
                for call in facts.calls.get(name, ()):
                    yield entry, call

    def _everything(self) -> str:
        """All the strings' lower-case texts, one per line."""
        if self._joined is None:
            self._joined = "\n".join(self._lower_texts())
        return self._joined

    def _lower_texts(self) -> list[str]:
        if self._lowered is None:
            self._lowered = list(map(str.lower, map(itemgetter(2), self.strings)))
        return self._lowered

    def _mentioning(self, names: tuple[str, ...]) -> Iterable[int]:
        """The indexes of the strings whose lower-case text contains one of `names`, in order;
        tested in C (`map`, `compress`): a Python loop over every string costs more."""
        lowered = self._lower_texts()
        # A string that mentions `subscriptionresourceid` mentions `resourceid`: only the names that
        # contain none of the others are searched for.
        wanted = {name for name in names if not any(other != name and other in name for other in names)}
        if len(wanted) == 1:
            return compress(count(), map(contains, lowered, repeat(wanted.pop())))
        found: set[int] = set()
        for name in wanted:
            found.update(compress(count(), map(contains, lowered, repeat(name))))
        return sorted(found)


@lru_cache(maxsize=None)  # one for each of the rules' few patterns
def _matcher(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """Whether `pattern` is found in a string's lower-case text, cached by text (the same
    expressions repeat across templates). One cache for each pattern: a cache keyed by
    (pattern, text) would hash the compiled pattern at each call, which costs more than the rest."""
    search = pattern.search
    return lru_cache(maxsize=65536)(lambda text: search(text.lower()) is not None)


_DESCRIPTIVE = ("$schema", "metadata")  # descriptions and links, not deployed
# Every spelling of them (names are case-insensitive): a set lookup instead of a `lower()` for each
# key. Exact: the one other character that lower-cases to an ASCII letter is the Kelvin sign ('k').
_DESCRIPTIVE_SPELLINGS = frozenset("".join(letters) for name in _DESCRIPTIVE for letters in product(*zip(name, name.upper())))
# A `resources` section is walked one declaration at a time (see `_collect_resources`); in the
# usual spelling only: other spellings are walked as any other key, which finds the same strings.
_SPECIAL_SPELLINGS = _DESCRIPTIVE_SPELLINGS | {"resources"}
_only_objects = frozenset((dict,)).issuperset  # of the types of a section's elements


class _StringWalk:
    """What one walk of a document collects, and where the owner of the strings changes: the
    template objects with their own scope and the `functions` sections, by identity."""

    __slots__ = ("declared", "dotted", "owner_switch", "special_keys", "strings")

    def __init__(self, owner_switch: dict[int, list[str]], switch_keys: set[str]):
        self.strings: list[tuple[Container, str | int, str, bool]] = []
        self.dotted: list[tuple[Container, str | int, str]] = []
        # The elements of the `resources` sections walked (resource declarations), each followed
        # by the range of `strings` and the range of `dotted` that hold its strings (see
        # ContainerPaths). One flat list: a tuple kept for each would be one more object for the
        # cyclic collector to count and scan.
        self.declared: list[Any] = []
        self.owner_switch = owner_switch  # id(container) -> the texts list of its owner
        # The keys of those containers, of `$schema` and `metadata`, and `resources`: one set
        # lookup tells whether a container is an ordinary one, as nearly all are.
        self.special_keys = switch_keys | _SPECIAL_SPELLINGS


def _collect_strings(value: Container, owned: list[str], walk: _StringWalk) -> None:
    """Adds the strings of `value` to `walk` and their texts to `owned` (the owner's list)."""
    # This runs for every value of every file (a million over the corpus), so: `type(x) is`
    # rather than isinstance (parsed JSON holds exactly these types), `"[" in s` (a C search)
    # before slicing, and no path built (see ContainerPaths).
    if type(value) is dict:
        for key, item in value.items():
            if "[" in key and key[0] == "[":
                walk.strings.append((value, key, key, True))
                owned.append(key)
            kind = type(item)
            if kind is str:
                if "[" in item and item[0] == "[":
                    walk.strings.append((value, key, item, False))
                    owned.append(item)
                if "." in item and key not in _DESCRIPTIVE_SPELLINGS:
                    walk.dotted.append((value, key, item))
            elif kind is dict or kind is list:
                if key not in walk.special_keys:
                    _collect_strings(item, owned, walk)
                elif key in _DESCRIPTIVE_SPELLINGS:  # not where an owner changes (see `_collect_described`)
                    _collect_described(item, owned, walk)
                elif key == "resources":  # nor here: the owner changes at `template` and `functions` keys
                    _collect_resources(item, owned, walk)
                else:
                    _collect_strings(item, walk.owner_switch.get(id(item), owned), walk)
    else:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str:
                if "[" in item and item[0] == "[":
                    walk.strings.append((value, index, item, False))
                    owned.append(item)
                if "." in item:
                    walk.dotted.append((value, index, item))
            elif kind is dict or kind is list:
                _collect_strings(item, owned, walk)


def _collect_resources(value: Container, owned: list[str], walk: _StringWalk) -> None:
    """`_collect_strings` for a `resources` section, noting which strings each of its resource
    declarations holds (see ContainerPaths)."""
    if not value:
        return
    # When each element is an object, at an index or under a key that is neither an expression
    # nor one of `special_keys`, all `_collect_strings(value, ...)` does is walk each of them with
    # the same `owned`: walking them one at a time is the same walk. Otherwise (a string among
    # them, say), the section is walked as any other.
    declared: Iterable[Any] | None
    if isinstance(value, list):
        declared = value if _only_objects(map(type, value)) else None
    else:  # symbolic names (languageVersion 2.0): a few each, tested faster in Python than in C
        special = walk.special_keys
        for key, element in value.items():
            if type(element) is not dict or key in special or key[:1] == "[":
                declared = None
                break
        else:
            declared = value.values()
    if declared is None:
        _collect_strings(value, owned, walk)
        return
    strings, dotted, noted = walk.strings, walk.dotted, walk.declared
    for element in declared:
        strings_from, dotted_from = len(strings), len(dotted)
        _collect_strings(element, owned, walk)
        noted += element, strings_from, len(strings), dotted_from, len(dotted)


def _collect_described(value: Container, owned: list[str], walk: _StringWalk) -> None:
    """`_collect_strings` below `$schema` or `metadata`: none of the strings is dotted. The owner
    can still change below: `metadata` can be the symbolic name of a nested deployment (whose
    template is at `properties.template`, not at the `metadata` key itself)."""
    if type(value) is dict:
        for key, item in value.items():
            if "[" in key and key[0] == "[":
                walk.strings.append((value, key, key, True))
                owned.append(key)
            kind = type(item)
            if kind is str:
                if "[" in item and item[0] == "[":
                    walk.strings.append((value, key, item, False))
                    owned.append(item)
            elif kind is dict or kind is list:
                _collect_described(item, walk.owner_switch.get(id(item), owned) if key in walk.special_keys else owned, walk)
    else:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str:
                if "[" in item and item[0] == "[":
                    walk.strings.append((value, index, item, False))
                    owned.append(item)
            elif kind is dict or kind is list:
                _collect_described(item, owned, walk)


@per_document
def document_index(document: Document) -> DocumentIndex:
    """The document's expression strings, which template scope each belongs to, and the calls in
    them; computed once per document."""
    root = document.value
    texts_by_owner: dict[JsonPath | None, list[str]] = {}
    # Where the owner changes: a nested template with its own scope, and a `functions` section.
    owner_switch: dict[int, list[str]] = {}
    switch_keys: set[str] = set()
    for scope in template_scopes(document):
        if scope.own_scope and scope.path:
            owner_switch[id(scope.template)] = texts_by_owner.setdefault(scope.path, [])
            switch_keys.add(scope.path[-1])
        functions = raw_get(scope.template, "functions") if scope.own_scope else None
        if type(functions) is dict or type(functions) is list:
            owner_switch[id(functions)] = texts_by_owner.setdefault(None, [])
            switch_keys.add(raw_key(scope.template, "functions"))
    walk = _StringWalk(owner_switch, switch_keys)
    if type(root) is dict or type(root) is list:
        _collect_strings(root, texts_by_owner.setdefault(() if type(root) is dict else None, []), walk)
    return DocumentIndex(
        walk.strings,
        {owner: texts for owner, texts in texts_by_owner.items() if texts},
        walk.dotted,
        ContainerPaths(root, walk),
    )


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


# `parameters('name')` / `variables('name')` in lower-cased text: the function (by its ending), and
# the quoted name (`''` escapes a quote) or, when the name is computed (`variables(concat(...))`),
# the character it starts with. The search is for `ar`, which both functions have after their
# first letter: the engine scans for a literal faster than it tries every `p` and `v`
# (and `\b` would halve its speed); lookbehinds check the first letter, and capture the character
# before it when that is a word character: `myparameters('x')` is not a reference, but as a match
# it takes up its text as it did when such matches were skipped after a search for the full names.
_REFERENCE = re.compile(
    r"""ar(?:(?<=(\w)[pv]ar))?                       # a word character before the function's name
        (ameters(?<=parameters)|iables(?<=variables))
        \s*\(\s*
        (?:'([^']*(?:''[^']*)*)'                      # the quoted name: runs of [^'] go in one step
        |(?=([^\s)])))                                # or the first character of a computed one
    """,
    re.VERBOSE,
)


# `deployment().properties.parameters` reads every parameter without naming it (lower-cased text).
_WHOLE_DEPLOYMENT = re.compile(r"deployment\s*\(\s*\)\s*\.\s*properties\s*\.\s*(parameters|template)")


class NamedReferences(NamedTuple):
    """The lower-case names an expression refers to with `parameters('name')` and
    `variables('name')`. None among them stands for a name computed at deployment
    (`variables(concat(...))`; among the parameters, also `deployment().properties.parameters`,
    which reads them all): then which ones are used cannot be told."""

    parameters: frozenset[str | None]
    variables: frozenset[str | None]


# Shared: most expressions name parameters only, and `filter(None, ...)` skips the empty sets.
_NO_NAMES: frozenset[str | None] = frozenset()
NO_REFERENCES = NamedReferences(_NO_NAMES, _NO_NAMES)


@lru_cache(maxsize=65536)  # templates repeat the same expressions: 14k distinct in 125k in the AVM corpus
def named_references(text: str) -> NamedReferences:
    """What a string refers to among `parameters` and `variables`: nothing unless it is an
    expression. Found textually, without parsing: a name that only appears inside a string
    literal counts as used, which can only keep a declaration from being reported."""
    if not is_expression(text):
        return NO_REFERENCES
    lowered = text.lower()  # function names are case-insensitive, and so are the names they take
    found = _REFERENCE.findall(lowered)  # tuples rather than match objects: cheaper
    reads_all = "deployment" in lowered and _WHOLE_DEPLOYMENT.search(lowered) is not None
    if not found and not reads_all:
        return NO_REFERENCES
    parameters: set[str | None] = {None} if reads_all else set()
    variables: set[str | None] = set()
    for word_before, function, name, computed in found:
        if not word_before:
            (parameters if function == "ameters" else variables).add(None if computed else name)
    if "''" in lowered:  # an escaped quote, maybe in a name
        parameters = {name and name.replace("''", "'") for name in parameters}
        variables = {name and name.replace("''", "'") for name in variables}
    if not (parameters or variables):
        return NO_REFERENCES
    return NamedReferences(
        frozenset(parameters) if parameters else _NO_NAMES, frozenset(variables) if variables else _NO_NAMES
    )


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
