"""The shared per-document facts the generic rules are built on (validator/rules/generic/_scan.py)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from validator.rules.generic._scan import NO_REFERENCES, named_references


def test_named_references_finds_literal_names_in_lower_case() -> None:
    found = named_references("[concat(Parameters('Prefix'), variables( 'it''s' ), parameters('prefix'))]")
    assert found.parameters == {"prefix"}
    assert found.variables == {"it's"}


def test_named_references_tells_a_computed_name_from_an_empty_literal() -> None:
    computed = named_references("[variables(concat('a', 'b'))]")
    assert computed.variables == {None} and computed.parameters == frozenset()
    empty = named_references("[variables('')]")
    assert empty.variables == {""}


def test_reading_the_whole_deployment_counts_as_computed_parameters() -> None:
    found = named_references("[deployment().properties.parameters]")
    assert found.parameters == {None} and found.variables == frozenset()


def test_strings_that_are_not_expressions_refer_to_nothing() -> None:
    assert named_references("parameters('a')") is NO_REFERENCES
    assert named_references("[[parameters('a')]") is NO_REFERENCES


@given(st.lists(st.sampled_from(["parameters", "variables"]), max_size=4), st.lists(st.text("abc'", max_size=4), max_size=4))
def test_every_literal_name_is_found(functions: list[str], names: list[str]) -> None:
    calls = [f"{function}('{name.replace(chr(39), chr(39) * 2)}')" for function, name in zip(functions, names)]
    found = named_references(f"[createArray({', '.join(calls)})]" if calls else "[createArray()]")
    for function, name in zip(functions, names):
        assert name.lower() in (found.parameters if function == "parameters" else found.variables)


def test_a_longer_function_name_is_not_a_reference() -> None:
    found = named_references("[concat(my.myparameters('a'), VARIABLES('B'))]")
    assert found.parameters == frozenset() and found.variables == {"b"}


def test_a_longer_function_name_takes_up_its_argument() -> None:
    # `myparameters(...)` is passed over whole: a name inside its quoted argument is not looked
    # for, as when the search was for the full names and such matches were skipped.
    assert named_references("[my.myparameters('variables(''x'')')]") is NO_REFERENCES


def test_a_word_character_of_any_script_before_the_name() -> None:
    found = named_references("[concat(éparameters('a'), _variables('b'), x1parameters('c'), (parameters('d')))]")
    assert found.parameters == {"d"} and found.variables == frozenset()


def test_spacing_escaped_quotes_and_an_unclosed_quote() -> None:
    found = named_references("[concat(parameters ( 'a''' ), variables(\n'b'), parameters('c]")
    assert found.parameters == {"a'", None} and found.variables == {"b"}


def test_an_empty_argument_list_is_not_a_reference_anything_else_is_a_computed_name() -> None:
    assert named_references("[parameters( )]") is NO_REFERENCES
    assert named_references("[variables()]") is NO_REFERENCES
    assert named_references("[parameters(]") == ({None}, frozenset())
