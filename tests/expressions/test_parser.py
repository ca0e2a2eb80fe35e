"""Unit tests of the ARM expression parser: node shapes, exact spans and error spans."""
from __future__ import annotations

import pytest

from validator.expressions import ArmError, evaluate
from validator.expressions.parser import (
    MAX_DEPTH,
    Call,
    Index,
    Literal,
    Property,
    is_expression,
    node_text,
    parse,
    unescape_literal,
)


def parse_error(text: str) -> ArmError:
    with pytest.raises(ArmError) as info:
        parse(text)
    return info.value


# --- literals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("['abc']", "abc", (1, 6)),
        ("['']", "", (1, 3)),
        ("['it''s']", "it's", (1, 8)),
        ("['''']", "'", (1, 5)),
        ("['a''''b']", "a''b", (1, 9)),
        ("['[x]']", "[x]", (1, 6)),
        ("['a,b)(']", "a,b)(", (1, 8)),
        ("[42]", 42, (1, 3)),
        ("[0]", 0, (1, 2)),
        ("[-7]", -7, (1, 3)),
        ("[007]", 7, (1, 4)),
        ("[true]", True, (1, 5)),
        ("[FALSE]", False, (1, 6)),
        ("[null]", None, (1, 5)),
        ("[  'x'  ]", "x", (3, 6)),
    ],
)
def test_literals(text: str, value: object, span: tuple[int, int]) -> None:
    node = parse(text)
    assert node == Literal(value, span)
    assert type(node.value) is type(value)


def test_huge_integer_literal_is_an_int() -> None:
    assert parse("[123456789012345678901234567890]") == Literal(123456789012345678901234567890, (1, 31))


# --- calls -----------------------------------------------------------------------------------


def test_call_with_arguments_and_spans() -> None:
    text = "[concat('a', 'b')]"
    node = parse(text)
    assert node == Call("concat", None, (Literal("a", (8, 11)), Literal("b", (13, 16))), (1, 17))
    assert node_text(text, node) == "concat('a', 'b')"


def test_call_without_arguments() -> None:
    assert parse("[resourceGroup()]") == Call("resourceGroup", None, (), (1, 16))
    assert parse("[f( )]") == Call("f", None, (), (1, 5))


def test_nested_calls() -> None:
    text = "[concat('kv-', uniqueString(resourceGroup().id))]"
    node = parse(text)
    assert isinstance(node, Call) and node.name == "concat"
    inner = node.args[1]
    assert isinstance(inner, Call) and inner.name == "uniqueString"
    assert node_text(text, inner) == "uniqueString(resourceGroup().id)"
    prop = inner.args[0]
    assert prop == Property(Call("resourceGroup", None, (), (28, 43)), "id", (28, 46))


def test_identifier_characters_and_case_are_kept() -> None:
    assert parse("[My_Fn$2()]") == Call("My_Fn$2", None, (), (1, 10))
    assert parse("[_x()]") == Call("_x", None, (), (1, 5))


def test_whitespace_everywhere() -> None:
    text = "[ concat ( 'a' , 'b' ) ]"
    assert parse(text) == Call("concat", None, (Literal("a", (11, 14)), Literal("b", (17, 20))), (2, 22))
    text = "[\tf(\n1\r\n)\n.\tx ]"
    node = parse(text)
    assert node == Property(Call("f", None, (Literal(1, (5, 6)),), (2, 9)), "x", (2, 13))


def test_true_with_parentheses_is_a_call() -> None:
    assert parse("[true()]") == Call("true", None, (), (1, 7))


# --- property access and indexing ------------------------------------------------------------


def test_property_access() -> None:
    assert parse("[resourceGroup().location]") == Property(Call("resourceGroup", None, (), (1, 16)), "location", (1, 25))


def test_property_chain_and_index() -> None:
    text = "[parameters('a')[0].b['c']]"
    node = parse(text)
    call = Call("parameters", None, (Literal("a", (12, 15)),), (1, 16))
    index0 = Index(call, Literal(0, (17, 18)), (1, 19))
    prop = Property(index0, "b", (1, 21))
    assert node == Index(prop, Literal("c", (22, 25)), (1, 26))
    assert node_text(text, node) == "parameters('a')[0].b['c']"


def test_index_by_expression() -> None:
    node = parse("[variables('v')[add(1, 2)]]")
    assert isinstance(node, Index)
    assert node.index == Call("add", None, (Literal(1, (20, 21)), Literal(2, (23, 24))), (16, 25))


def test_property_of_a_literal() -> None:
    assert parse("['abc'.length]") == Property(Literal("abc", (1, 6)), "length", (1, 13))


# --- user-defined function calls -------------------------------------------------------------


def test_namespaced_user_function_call() -> None:
    assert parse("[ns.fn(1)]") == Call("fn", "ns", (Literal(1, (7, 8)),), (1, 9))
    assert parse("[ns . fn (1)]") == Call("fn", "ns", (Literal(1, (10, 11)),), (1, 12))


def test_property_of_a_call_is_not_a_namespace() -> None:
    assert parse("[fn().prop]") == Property(Call("fn", None, (), (1, 5)), "prop", (1, 10))


def test_property_of_a_user_function_result() -> None:
    assert parse("[ns.fn().x]") == Property(Call("fn", "ns", (), (1, 8)), "x", (1, 10))


def test_namespace_without_call_is_an_error() -> None:
    err = parse_error("[ns.fn]")
    assert err.span == (1, 3)
    assert "'ns' must be followed by '('" in err.message


# --- escapes and non-expressions -------------------------------------------------------------


def test_is_expression() -> None:
    assert is_expression("[f()]")
    assert is_expression("[]")
    assert not is_expression("[[f()]")
    assert not is_expression("f()")
    assert not is_expression("[f()")
    assert not is_expression("[")
    assert not is_expression("")


def test_double_bracket_escape_through_evaluate() -> None:
    assert evaluate("[[concat('a', 'b')]") == "[concat('a', 'b')]"
    assert evaluate("[[") == "[["
    assert evaluate("[[]") == "[]"
    assert unescape_literal("[[x]") == "[x]"
    assert unescape_literal("plain") == "plain"


def test_plain_strings_through_evaluate() -> None:
    assert evaluate("plain text") == "plain text"
    assert evaluate("[not closed") == "[not closed"
    assert evaluate("") == ""
    assert evaluate("['it''s']") == "it's"
    assert evaluate("[42]") == 42


def test_parse_rejects_non_expressions() -> None:
    err = parse_error("[[x]")
    assert err.span == (0, 4)
    assert parse_error("abc").span == (0, 3)


# --- errors and their spans ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span", "message"),
    [
        ("[concat('a)]", (8, 11), "unterminated string"),
        ("['abc]", (1, 5), "unterminated string"),
        ("['it''s]", (1, 7), "unterminated string"),
        ("[concat('a']", (11, 12), "expected ',' or ')' in the arguments of 'concat' but found the end"),
        ("[f(1 2)]", (5, 6), "expected ',' or ')' in the arguments of 'f' but found '2'"),
        ("[concat(]", (8, 9), "expected a value but found the end"),
        ("[concat('a',)]", (12, 13), "unexpected ')'"),
        ("[concat('a') x]", (13, 14), "unexpected 'x' after the end of the expression"),
        ("['a' 'b']", (5, 6), "unexpected ''' after the end"),
        ("[f())]", (4, 5), "unexpected ')' after the end"),
        ("[]", (1, 2), "expected a value but found the end"),
        ("[   ]", (4, 5), "expected a value but found the end"),
        ("[add(1.5, 2)]", (5, 8), "numbers in expressions must be integers"),
        ("[1.0]", (1, 4), "numbers in expressions must be integers"),
        ("[f(]", (3, 4), "expected a value"),
        ("[f]", (1, 2), "'f' must be followed by '('"),
        ("[f().]", (5, 6), "expected a property name after '.'"),
        ("[f().1]", (5, 6), "expected a property name after '.'"),
        ("[f()[0]", (6, 7), "expected ']' but found the end"),
        ("[f()[0 1]]", (7, 8), "expected ']' but found '1'"),
        ("[f()[]]", (5, 6), "unexpected ']'"),
        ("[- 5]", (1, 2), "unexpected '-'"),
        ("[#]", (1, 2), "unexpected '#'"),
        ("[ns.]", (1, 3), "'ns' must be followed by '('"),
    ],
)
def test_errors_have_exact_spans(text: str, span: tuple[int, int], message: str) -> None:
    err = parse_error(text)
    assert err.span == span
    assert message in err.message


def test_nesting_up_to_the_limit_parses() -> None:
    depth = MAX_DEPTH + 1  # expression levels 0..MAX_DEPTH
    text = "[" + "a(" * depth + ")" * depth + "]"
    node = parse(text)
    for _ in range(depth - 1):
        assert isinstance(node, Call)
        node = node.args[0]
    assert node == Call("a", None, (), (1 + 2 * (depth - 1), 4 + 2 * (depth - 1)))


def test_over_deep_nesting_is_an_error() -> None:
    depth = MAX_DEPTH + 2
    text = "[" + "a(" * depth + ")" * depth + "]"
    err = parse_error(text)
    # The level past the limit starts right after the (MAX_DEPTH + 1)-th `a(`.
    start = 1 + 2 * (MAX_DEPTH + 1)
    assert err.span == (start, start + 1)
    assert "nested more than" in err.message


def test_over_deep_index_nesting_is_an_error() -> None:
    depth = MAX_DEPTH + 2
    text = "[" + "f()[" * depth + "0" + "]" * depth + "]"
    err = parse_error(text)
    assert "nested more than" in err.message


def test_errors_are_not_cached_as_successes() -> None:
    for _ in range(2):
        assert parse_error("[f(]").span == (3, 4)
