"""ARM template functions: arrays and objects.

One implementation per name serves every group of Microsoft's reference that lists it:
`concat`, `contains`, `empty`, `first`, `last`, `indexOf`, `lastIndexOf`, `length`, `skip` and
`take` work on strings here too, and `max`/`min` (listed under numeric functions) live here.

Functions that only look at the shape of a value (`length`, `createArray`, `first`, ...) are
declared `unknowns="shallow"`: they still answer when elements are Unknown. Functions that must
compare element values keep the default, or check for Unknowns themselves before comparing.
"""
from __future__ import annotations

from typing import Any

from ..evaluator import CallContext
from ...keys import find_key
from ..registry import FunctionTable, check_type
from ..values import ArmError, OpenObject, Unknown, arm_equals, arm_string, find_unknown, get_property, is_int, is_number, type_name

TABLE = FunctionTable()

RANGE_MAX_COUNT = 10000
INT32_MAX = 2147483647


# --- helpers ----------------------------------------------------------------------------------


def _derive(ctx: CallContext, *values: Any) -> Unknown:
    """An Unknown for this call, inheriting secrecy/nondeterminism from the Unknowns in `values`."""
    found = [u for u in (find_unknown(v) for v in values) if u is not None]
    if not found:
        return ctx.unknown()
    return found[0].derive(ctx.text, *found[1:])


def _type_error(ctx: CallContext, index: int, value: Any, expected: str) -> ArmError:
    return ctx.error(f"the argument {index + 1} of '{ctx.name}' must be {expected}, not {type_name(value).lower()}", arg=index)


def _utf16_length(text: str) -> int:
    """ARM (.NET) counts string length in UTF-16 code units, so an emoji counts as 2."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fold(text: str) -> str:
    """Upper-case each character on its own, like .NET's OrdinalIgnoreCase, keeping indexes stable."""
    return "".join(c if len(c.upper()) != 1 else c.upper() for c in text)


def _contains_value(items: list[Any], value: Any) -> bool:
    return any(arm_equals(item, value) for item in items)


# --- construction -----------------------------------------------------------------------------


@TABLE.add("array", 1, unknowns="shallow")
def array(ctx: CallContext, value: Any) -> Any:
    if isinstance(value, list):
        return value
    return [value]


@TABLE.add("createArray", 0, None, unknowns="shallow")
def create_array(ctx: CallContext, *args: Any) -> Any:
    return list(args)


@TABLE.add("createObject", 0, None, unknowns="shallow")
def create_object(ctx: CallContext, *args: Any) -> Any:
    if len(args) % 2:
        raise ctx.error(f"'{ctx.name}' takes an even number of arguments (key, value, ...), but {len(args)} were given")
    result: dict[str, Any] = {}
    for index in range(0, len(args), 2):
        key = args[index]
        if not isinstance(key, str):
            raise _type_error(ctx, index, key, "a string (a property name)")
        # Undocumented: a repeated name (ARM compares names case-insensitively) keeps the last value.
        existing = find_key(result, key)
        result[existing if existing is not None else key] = args[index + 1]
    return result


@TABLE.add("null", 0)
def null(ctx: CallContext) -> Any:
    return None


@TABLE.add("range", 2)
def range_(ctx: CallContext, start: Any, count: Any) -> Any:
    check_type(ctx, 0, start, int)
    check_type(ctx, 1, count, int)
    if count < 0 or count > RANGE_MAX_COUNT:
        raise ctx.error(f"the count of 'range' must be between 0 and {RANGE_MAX_COUNT}, not {count}", arg=1)
    if start + count > INT32_MAX:
        raise ctx.error(f"the sum of start and count of 'range' must be no greater than {INT32_MAX}, not {start + count}")
    return list(range(start, start + count))


# --- size and shape ---------------------------------------------------------------------------


@TABLE.add("length", 1, unknowns="shallow")
def length(ctx: CallContext, value: Any) -> Any:
    if isinstance(value, str):
        return _utf16_length(value)
    if isinstance(value, OpenObject):
        # Only some of its properties are known offline: the count is not.
        return ctx.unknown()
    if isinstance(value, (list, dict)):
        return len(value)
    raise _type_error(ctx, 0, value, "an array, an object or a string")


@TABLE.add("empty", 1, unknowns="shallow")
def empty(ctx: CallContext, value: Any) -> Any:
    if value is None:
        return True
    if isinstance(value, OpenObject):
        return False if value else ctx.unknown()
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    raise _type_error(ctx, 0, value, "an array, an object, a string or null")


@TABLE.add("first", 1, unknowns="shallow")
def first(ctx: CallContext, value: Any) -> Any:
    if isinstance(value, list):
        # Like .NET's FirstOrDefault: an empty array gives null, not an error.
        return value[0] if value else None
    if isinstance(value, str):
        return value[:1]
    if value is None:
        # Undocumented; null in, null out is the answer that rejects nothing Azure may accept.
        return None
    raise _type_error(ctx, 0, value, "an array or a string")


@TABLE.add("last", 1, unknowns="shallow")
def last(ctx: CallContext, value: Any) -> Any:
    if isinstance(value, list):
        return value[-1] if value else None
    if isinstance(value, str):
        return value[-1:]
    if value is None:
        # Undocumented; see first().
        return None
    raise _type_error(ctx, 0, value, "an array or a string")


@TABLE.add("skip", 2, unknowns="shallow")
def skip(ctx: CallContext, value: Any, count: Any) -> Any:
    check_type(ctx, 1, count, int)
    if not isinstance(value, (list, str)):
        raise _type_error(ctx, 0, value, "an array or a string")
    return value[max(count, 0):]


@TABLE.add("take", 2, unknowns="shallow")
def take(ctx: CallContext, value: Any, count: Any) -> Any:
    check_type(ctx, 1, count, int)
    if not isinstance(value, (list, str)):
        raise _type_error(ctx, 0, value, "an array or a string")
    return value[:max(count, 0)]


def _from_end(ctx: CallContext, value: Any, index: Any, strict: bool) -> Any:
    check_type(ctx, 1, index, int)
    # Bicep's `x[^n]` works on strings too, so strings are accepted as well as arrays.
    if not isinstance(value, (list, str)):
        raise _type_error(ctx, 0, value, "an array or a string")
    if 1 <= index <= len(value):
        return value[len(value) - index]
    if strict:
        raise ctx.error(
            f"the index from the end {index} is out of range: it must be between 1 and {len(value)}, the length of the value",
            arg=1,
        )
    return None


@TABLE.add("indexFromEnd", 2, unknowns="shallow")
def index_from_end(ctx: CallContext, value: Any, index: Any) -> Any:
    return _from_end(ctx, value, index, strict=True)


@TABLE.add("tryIndexFromEnd", 2, unknowns="shallow")
def try_index_from_end(ctx: CallContext, value: Any, index: Any) -> Any:
    return _from_end(ctx, value, index, strict=False)


@TABLE.add("tryGet", 2, None, unknowns="shallow")
def try_get(ctx: CallContext, value: Any, *keys: Any) -> Any:
    """`tryGet(x, 'a', 'b')` is Bicep's `x.?a.?b`: null wherever a step is missing."""
    current = value
    for offset, key in enumerate(keys, start=1):
        if isinstance(current, Unknown):
            return current.derive(ctx.text)
        if current is None:
            return None
        if isinstance(current, dict):
            if not isinstance(key, str):
                raise _type_error(ctx, offset, key, "a string to look up a property of an object")
            found, next_value = get_property(current, key)
            if not found:
                # A property missing from a partly known object may still exist in Azure.
                return ctx.unknown() if isinstance(current, OpenObject) else None
            current = next_value
        elif isinstance(current, list):
            if not is_int(key):
                raise _type_error(ctx, offset, key, "an integer to index an array")
            if not 0 <= key < len(current):
                return None
            current = current[key]
        else:
            # Azure deploys AVM templates that do this: a step into a scalar finds nothing.
            return None
    return current


@TABLE.add("objectKeys", 1, unknowns="shallow")
def object_keys(ctx: CallContext, value: Any) -> Any:
    if isinstance(value, OpenObject):
        return ctx.unknown()
    check_type(ctx, 0, value, dict)
    return list(value.keys())


@TABLE.add("items", 1, unknowns="shallow")
def items(ctx: CallContext, value: Any) -> Any:
    if isinstance(value, OpenObject):
        return ctx.unknown()
    check_type(ctx, 0, value, dict)
    # The docs say items() sorts alphabetically; the comparison is undocumented: ordinal is used.
    return [{"key": key, "value": value[key]} for key in sorted(value)]


# --- searching --------------------------------------------------------------------------------


@TABLE.add("contains", 2, unknowns="shallow")
def contains(ctx: CallContext, container: Any, item: Any) -> Any:
    if isinstance(container, str):
        if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
            raise _type_error(ctx, 1, item, "a string or an integer")
        # The string comparison is case-sensitive (documented).
        return arm_string(item) in container
    if isinstance(container, dict):
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            raise _type_error(ctx, 1, item, "a string or an integer")
        # Keys are compared case-insensitively (documented); values don't matter.
        if find_key(container, arm_string(item)) is not None:
            return True
        return ctx.unknown() if isinstance(container, OpenObject) else False
    if isinstance(container, list):
        if find_unknown(item) is not None:
            return _derive(ctx, item)
        unsure: list[Any] = []
        for element in container:
            if find_unknown(element) is not None:
                unsure.append(element)
            elif arm_equals(element, item):
                return True
        return _derive(ctx, *unsure) if unsure else False
    raise _type_error(ctx, 0, container, "an array, an object or a string")


def _index_of(ctx: CallContext, container: Any, item: Any, last_one: bool) -> int:
    if isinstance(container, str):
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise _type_error(ctx, 1, item, "a string")
        # On strings the comparison is case-insensitive (documented in the string functions).
        haystack, needle = _fold(container), _fold(arm_string(item))
        return haystack.rfind(needle) if last_one else haystack.find(needle)
    if isinstance(container, list):
        # On arrays the comparison is by value and case-sensitive (documented in the array functions).
        positions = range(len(container) - 1, -1, -1) if last_one else range(len(container))
        for position in positions:
            if arm_equals(container[position], item):
                return position
        return -1
    raise _type_error(ctx, 0, container, "an array or a string")


@TABLE.add("indexOf", 2)
def index_of(ctx: CallContext, container: Any, item: Any) -> Any:
    return _index_of(ctx, container, item, last_one=False)


@TABLE.add("lastIndexOf", 2)
def last_index_of(ctx: CallContext, container: Any, item: Any) -> Any:
    return _index_of(ctx, container, item, last_one=True)


# --- combining --------------------------------------------------------------------------------


@TABLE.add("concat", 1, None, unknowns="shallow")
def concat(ctx: CallContext, *args: Any) -> Any:
    if any(isinstance(arg, list) for arg in args):
        result: list[Any] = []
        for index, arg in enumerate(args):
            if isinstance(arg, list):
                result.extend(arg)
            elif arg is not None:
                # Arrays are only concatenated with other arrays (documented); null adds nothing.
                raise _type_error(ctx, index, arg, "an array, like the other arguments")
        return result
    if any(find_unknown(arg) is not None for arg in args):
        # Unknowns nested in an object can't be printed into the string.
        return _derive(ctx, *args)
    return "".join(arm_string(arg) for arg in args)


def _same_kind(ctx: CallContext, args: tuple[Any, ...]) -> type:
    """All arguments of union()/intersection() must be arrays, or all objects."""
    kind: type = list if isinstance(args[0], list) else dict
    for index, arg in enumerate(args):
        if not isinstance(arg, kind):
            expected = "an array" if kind is list else "an object"
            if not isinstance(arg, (list, dict)):
                expected = "an array or an object"
            raise _type_error(ctx, index, arg, f"{expected}, like the first argument" if index else expected)
    return kind


def _merge_deep(target: dict[str, Any], source: dict[str, Any], ctx: CallContext) -> None:
    """union() of objects: later values win, nested objects are merged, arrays are replaced."""
    for key, value in source.items():
        existing_key = find_key(target, key)
        if existing_key is None:
            target[key] = value
            continue
        old = target[existing_key]
        if isinstance(old, dict) and isinstance(value, dict):
            merged = dict(old)
            _merge_deep(merged, value, ctx)
            target[existing_key] = merged
        elif isinstance(value, dict) and isinstance(old, Unknown):
            # The Unknown may be an object that would be merged with this one: the result is unknown.
            target[existing_key] = old.derive(ctx.text)
        elif isinstance(old, dict) and isinstance(value, Unknown):
            target[existing_key] = value.derive(ctx.text)
        else:
            target[existing_key] = value


@TABLE.add("union", 2, None, unknowns="shallow")
def union(ctx: CallContext, *args: Any) -> Any:
    kind = _same_kind(ctx, args)
    if kind is list:
        if any(find_unknown(arg) is not None for arg in args):
            # Removing duplicates compares values, which Unknowns prevent.
            return _derive(ctx, *args)
        result: list[Any] = []
        for arg in args:
            for element in arg:
                if not _contains_value(result, element):
                    result.append(element)
        return result
    if any(isinstance(arg, OpenObject) for arg in args):
        return _derive(ctx, *args)
    merged: dict[str, Any] = {}
    for arg in args:
        _merge_deep(merged, arg, ctx)
    return merged


@TABLE.add("intersection", 2, None)
def intersection(ctx: CallContext, *args: Any) -> Any:
    kind = _same_kind(ctx, args)
    first_arg, others = args[0], args[1:]
    if kind is list:
        result: list[Any] = []
        for element in first_arg:
            if all(_contains_value(other, element) for other in others) and not _contains_value(result, element):
                result.append(element)
        return result
    if any(isinstance(arg, OpenObject) for arg in args):
        return ctx.unknown()
    common: dict[str, Any] = {}
    for key, value in first_arg.items():
        if all(found and arm_equals(value, other_value) for found, other_value in (get_property(o, key) for o in others)):
            common[key] = value
    return common


@TABLE.add("shallowMerge", 1, unknowns="shallow")
def shallow_merge(ctx: CallContext, objects: Any) -> Any:
    check_type(ctx, 0, objects, list)
    merged: dict[str, Any] = {}
    for position, obj in enumerate(objects):
        if isinstance(obj, Unknown) or isinstance(obj, OpenObject):
            # Which properties it brings is unknown, so the whole result is.
            return _derive(ctx, obj)
        if not isinstance(obj, dict):
            raise ctx.error(
                f"the argument of '{ctx.name}' must be an array of objects, but element {position} is {type_name(obj).lower()}",
                arg=0,
            )
        for key, value in obj.items():
            existing = find_key(merged, key)
            merged[existing if existing is not None else key] = value
    return merged


# --- max and min (numeric functions, one implementation here) ---------------------------------


def _numbers(ctx: CallContext, args: tuple[Any, ...]) -> list[Any]:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not values:
        raise ctx.error(f"'{ctx.name}' needs at least one number, but the array is empty", arg=0)
    for position, value in enumerate(values):
        if not is_number(value):
            where = f"element {position}" if len(args) == 1 and isinstance(args[0], list) else f"the argument {position + 1}"
            raise ctx.error(f"'{ctx.name}' works on integers, but {where} is {type_name(value).lower()}", arg=min(position, len(args) - 1))
    return values


@TABLE.add("max", 1, None)
def max_(ctx: CallContext, *args: Any) -> Any:
    return max(_numbers(ctx, args))


@TABLE.add("min", 1, None)
def min_(ctx: CallContext, *args: Any) -> Any:
    return min(_numbers(ctx, args))


@TABLE.add("flatten", 1, unknowns="shallow")
def flatten(ctx: CallContext, arrays: Any) -> Any:
    """`flatten(createArray(createArray(1, 2), createArray(3)))` is `[1, 2, 3]`: one level."""
    check_type(ctx, 0, arrays, list)
    out: list[Any] = []
    for index, item in enumerate(arrays):
        if isinstance(item, Unknown):
            return item.derive(ctx.text)
        if not isinstance(item, list):
            raise ctx.error(f"'flatten' needs an array of arrays, but element {index} is {type_name(item).lower()}", arg=0)
        out.extend(item)
    return out
