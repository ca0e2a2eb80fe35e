"""Parser for ARM template expressions: `[concat('kv-', uniqueString(resourceGroup().id))]`.

Grammar (as Azure accepts it):

    expression := primary ( "." IDENT | "[" expression "]" )*
    primary    := STRING | INTEGER | IDENT [ "." IDENT ] "(" [ expression ( "," expression )* ] ")"

Strings are single-quoted with `''` as the escaped quote. Spans are offsets into the whole JSON
string value, so offset 0 is the opening `[`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Union

from .values import ArmError


@dataclass(frozen=True, slots=True)
class Literal:
    value: Union[str, int, bool, None]
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # as written; lookups are case-insensitive
    namespace: str | None  # user-defined functions: `namespace.name(...)`
    args: tuple["Node", ...]
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Property:
    target: "Node"
    name: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Index:
    target: "Node"
    index: "Node"
    span: tuple[int, int]


Node = Union[Literal, Call, Property, Index]

MAX_DEPTH = 100  # deeper nesting is absurd (real templates stay under 30) and would exhaust Python's stack


def is_expression(text: str) -> bool:
    """True when a JSON string is an ARM expression (`[...]`), false for `[[` escapes."""
    return len(text) >= 2 and text[0] == "[" and text[-1] == "]" and text[1] != "["


def unescape_literal(text: str) -> str:
    """A string that starts with `[[` stands for itself with one `[` removed."""
    if text.startswith("[[") and text.endswith("]"):
        return text[1:]
    return text


@lru_cache(maxsize=65536)
def parse(text: str) -> Node:
    """Parse the JSON string `text`, which must be an expression (`[` ... `]`)."""
    if not is_expression(text):
        raise ArmError("an expression must start with '[' and end with ']'", (0, len(text)))
    parser = _Parser(text, 1, len(text) - 1)
    node = parser.expression(0)
    parser.skip_space()
    if parser.pos != parser.end:
        raise ArmError(f"unexpected '{text[parser.pos]}' after the end of the expression", (parser.pos, parser.pos + 1))
    return node


def _is_ident_start(ch: str) -> bool:
    return ch.isalpha() or ch == "_" or ch == "$"


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch == "$"


class _Parser:
    def __init__(self, text: str, start: int, end: int):
        self.text = text
        self.pos = start
        self.end = end

    def error(self, message: str, start: int | None = None, end: int | None = None) -> ArmError:
        start = self.pos if start is None else start
        return ArmError(message, (start, max(start + 1, end or start + 1)))

    def skip_space(self) -> None:
        while self.pos < self.end and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < self.end else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            found = f"'{self.text[self.pos]}'" if self.pos < self.end else "the end of the expression"
            raise self.error(f"expected '{ch}' but found {found}")
        self.pos += 1

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self.error(f"the expression is nested more than {MAX_DEPTH} levels deep")
        node = self.primary(depth)
        start = node.span[0]
        while True:
            ch = self.peek()
            if ch == ".":
                self.pos += 1
                self.skip_space()
                name = self.identifier("a property name after '.'")
                node = Property(node, name, (start, self.pos))
            elif ch == "[":
                self.pos += 1
                index = self.expression(depth + 1)
                self.expect("]")
                node = Index(node, index, (start, self.pos))
            else:
                return node

    def identifier(self, what: str) -> str:
        start = self.pos
        if self.pos >= self.end or not _is_ident_start(self.text[self.pos]):
            raise self.error(f"expected {what}")
        self.pos += 1
        while self.pos < self.end and _is_ident_char(self.text[self.pos]):
            self.pos += 1
        return self.text[start:self.pos]

    def primary(self, depth: int) -> Node:
        ch = self.peek()
        start = self.pos
        if ch == "'":
            return self.string()
        if ch.isdigit() or (ch == "-" and self.pos + 1 < self.end and self.text[self.pos + 1].isdigit()):
            self.pos += 1
            while self.pos < self.end and self.text[self.pos].isdigit():
                self.pos += 1
            if self.pos < self.end and self.text[self.pos] == "." and self.pos + 1 < self.end and self.text[self.pos + 1].isdigit():
                raise self.error("numbers in expressions must be integers; use json('1.5') for a decimal", start, self.pos + 2)
            return Literal(int(self.text[start:self.pos]), (start, self.pos))
        if not ch:
            raise self.error("expected a value but found the end of the expression")
        if not _is_ident_start(ch):
            raise self.error(f"unexpected '{ch}'")
        name = self.identifier("a function name")
        namespace = None
        # `ns.fn(` is a user-defined function; `fn().prop` is a property access, handled by the caller.
        if self.peek() == ".":
            save = self.pos
            self.pos += 1
            self.skip_space()
            if self.pos < self.end and _is_ident_start(self.text[self.pos]):
                member = self.identifier("a function name")
                if self.peek() == "(":
                    namespace, name = name, member
                else:
                    self.pos = save
            else:
                self.pos = save
        if self.peek() != "(":
            lowered = name.lower()
            if namespace is None and lowered in ("true", "false", "null"):
                return Literal({"true": True, "false": False, "null": None}[lowered], (start, self.pos))
            raise self.error(f"'{name}' must be followed by '(': ARM has no bare names, only function calls", start, self.pos)
        self.pos += 1
        args: list[Node] = []
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                args.append(self.expression(depth + 1))
                ch = self.peek()
                if ch == ",":
                    self.pos += 1
                    continue
                if ch == ")":
                    self.pos += 1
                    break
                found = f"'{ch}'" if ch else "the end of the expression"
                raise self.error(f"expected ',' or ')' in the arguments of '{name}' but found {found}")
        return Call(name, namespace, tuple(args), (start, self.pos))

    def string(self) -> Literal:
        start = self.pos
        self.pos += 1
        parts: list[str] = []
        while True:
            close = self.text.find("'", self.pos, self.end)
            if close < 0:
                raise self.error("unterminated string: a closing ' is missing", start, self.end)
            parts.append(self.text[self.pos:close])
            if close + 1 < self.end and self.text[close + 1] == "'":
                parts.append("'")
                self.pos = close + 2
                continue
            self.pos = close + 1
            return Literal("".join(parts), (start, self.pos))


def node_text(source: str, node: Node) -> str:
    """The source text of a node."""
    return source[node.span[0]:node.span[1]]


def try_parse(text: object) -> Node | None:
    """The parse tree of a JSON string that is an expression; None for a literal, or for an
    expression Azure would reject (that is reported elsewhere, as a deployment error)."""
    if not isinstance(text, str) or not is_expression(text):
        return None
    try:
        return parse(text)
    except ArmError:
        return None


def walk(node: Node) -> "Iterator[Node]":
    """Every node of a parse tree, depth first (a node before its arguments, left to right)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Call):
            stack.extend(reversed(node.args))
        elif isinstance(node, Property):
            stack.append(node.target)
        elif isinstance(node, Index):
            stack.append(node.index)
            stack.append(node.target)
