"""ARM template functions: strings.

Everything in Microsoft's "String functions for ARM templates" reference except the names that
several groups share (`concat`, `contains`, `empty`, `first`, `last`, `indexOf`, `lastIndexOf`,
`length`, `skip`, `take`: see `arrays.py`). ARM runs on .NET, so the behaviour copied here is
.NET's: UTF-16 indexes, `String.Format` composite formatting, Newtonsoft's lenient JSON reader,
`Uri.EscapeDataString`. `uniqueString()` and `guid()` reproduce Azure's hashes exactly.
"""
from __future__ import annotations

import base64 as _b64
import binascii
import codecs
import hashlib
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal, DecimalException, localcontext
from typing import Any

from ..evaluator import CallContext
from ..parser import MAX_DEPTH
from ..registry import FunctionTable, check_type
from ..values import arm_string, type_name

TABLE = FunctionTable()

# .NET's char.IsWhiteSpace set: what String.Trim() removes (Python's isspace() adds \x1c-\x1f).
NET_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# No documented limit: refuse sizes no real template needs, so memory stays bounded.
MAX_STRING_LENGTH = 10_000_000
MAX_FORMAT_PRECISION = 999


# --- text helpers -----------------------------------------------------------------------------


def utf8(text: str) -> bytes:
    """UTF-8 bytes as .NET's Encoding.UTF8 writes them: a lone surrogate becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode("utf-8")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def _from_utf16(data: bytes) -> str:
    return data.decode("utf-16-le", "surrogatepass")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as .NET counts it (an emoji counts as 2)."""
    return len(_utf16(text)) // 2


def _map_chars(text: str, upper: bool) -> str:
    """Invariant-culture case mapping, one character to one character like .NET's (`ß` stays `ß`)."""
    out = []
    for c in text:
        mapped = c.upper() if upper else c.lower()
        out.append(mapped if len(mapped) == 1 else c)
    return "".join(out)


def _text_of(ctx: CallContext, index: int, value: Any) -> str:
    """`arm_string`, refusing what isn't an ARM value (a lambda, say) instead of crashing."""
    try:
        return arm_string(value)
    except (TypeError, ValueError):
        raise ctx.error(f"the argument {index + 1} of '{ctx.name}' can't be converted to a string", arg=index) from None


def _strings(ctx: CallContext, args: tuple[Any, ...]) -> list[str]:
    for index, value in enumerate(args):
        check_type(ctx, index, value, str)
    return list(args)


# --- uniqueString and guid --------------------------------------------------------------------

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def _fmix32(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h


def murmur64(data: bytes) -> int:
    """The 64-bit MurmurHash variant of Microsoft's ResourceStack library (two 32-bit lanes, seed 0)."""
    c1, c2 = 0x239B961B, 0xAB0E9789
    h1 = h2 = 0
    length = len(data)
    blocks = length // 8
    for block in range(blocks):
        k1 = int.from_bytes(data[block * 8:block * 8 + 4], "little")
        k2 = int.from_bytes(data[block * 8 + 4:block * 8 + 8], "little")
        k1 = (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        h1 ^= k1
        h1 = (_rotl(h1, 19) + h2) & _M32
        h1 = (h1 * 5 + 0x561CCD1B) & _M32
        k2 = (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
        h2 ^= k2
        h2 = (_rotl(h2, 13) + h1) & _M32
        h2 = (h2 * 5 + 0x0BCAA747) & _M32
    tail = data[blocks * 8:]
    if tail:
        k1 = int.from_bytes(tail[:4], "little")
        h1 ^= (_rotl((k1 * c1) & _M32, 15) * c2) & _M32
        if len(tail) > 4:
            k2 = int.from_bytes(tail[4:], "little")
            h2 ^= (_rotl((k2 * c2) & _M32, 17) * c1) & _M32
    h1 ^= length & _M32
    h2 ^= length & _M32
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    h1 = _fmix32(h1)
    h2 = _fmix32(h2)
    h1 = (h1 + h2) & _M32
    h2 = (h2 + h1) & _M32
    return (h2 << 32) | h1


def unique_string_of(values: list[str]) -> str:
    """ARM's `uniqueString(values...)`: 13 base32 characters of the hash of the dash-joined values."""
    value = murmur64(utf8("-".join(values)))
    out = []
    for _ in range(13):
        out.append(_BASE32[value >> 59])
        value = (value << 5) & _M64
    return "".join(out)


def guid_of(values: list[str]) -> str:
    """ARM's `guid(values...)`: a name-based (SHA-1, version 5) UUID of the dash-joined values."""
    digest = hashlib.sha1(GUID_NAMESPACE.bytes + utf8("-".join(values))).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


@TABLE.add("uniqueString", 1, None)
def unique_string(ctx: CallContext, *args: Any) -> str:
    return unique_string_of(_strings(ctx, args))


@TABLE.add("guid", 1, None)
def guid(ctx: CallContext, *args: Any) -> str:
    return guid_of(_strings(ctx, args))


@TABLE.add("newGuid", 0)
def new_guid(ctx: CallContext) -> Any:
    # Azure draws it at deployment time; where it may appear is the template layer's business.
    return ctx.unknown(nondeterministic=True)


# --- simple string functions ------------------------------------------------------------------


@TABLE.add("toLower", 1)
def to_lower(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return _map_chars(value, upper=False)


@TABLE.add("toUpper", 1)
def to_upper(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return _map_chars(value, upper=True)


@TABLE.add("trim", 1)
def trim(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return value.strip(NET_WHITESPACE)


@TABLE.add("startsWith", 2)
def starts_with(ctx: CallContext, text: Any, prefix: Any) -> bool:
    check_type(ctx, 0, text, str)
    check_type(ctx, 1, prefix, str)
    # The documented comparison is case-insensitive (OrdinalIgnoreCase).
    return _map_chars(text, True).startswith(_map_chars(prefix, True))


@TABLE.add("endsWith", 2)
def ends_with(ctx: CallContext, text: Any, suffix: Any) -> bool:
    check_type(ctx, 0, text, str)
    check_type(ctx, 1, suffix, str)
    return _map_chars(text, True).endswith(_map_chars(suffix, True))


@TABLE.add("replace", 3)
def replace(ctx: CallContext, text: Any, old: Any, new: Any) -> str:
    check_type(ctx, 0, text, str)
    check_type(ctx, 1, old, str)
    check_type(ctx, 2, new, str)
    if old == "":
        # .NET's String.Replace rejects an empty oldValue.
        raise ctx.error("the string to replace in 'replace' can't be empty", arg=1)
    return text.replace(old, new)


@TABLE.add("substring", 1, 3)
def substring(ctx: CallContext, text: Any, start: Any = 0, length: Any = None) -> str:
    check_type(ctx, 0, text, str)
    check_type(ctx, 1, start, int)
    if length is not None:
        check_type(ctx, 2, length, int)
    units = _utf16(text)
    size = len(units) // 2
    if length is None:
        if start < 0 or start > size:
            raise ctx.error(
                f"the start index must refer to a location within the string. The index parameter: '{start}', "
                f"the length of the string parameter: '{size}'",
                arg=1,
            )
        length = size - start
    elif start < 0 or length < 0 or start + length > size:
        raise ctx.error(
            "the index and length parameters must refer to a location within the string. "
            f"The index parameter: '{start}', the length parameter: '{length}', the length of the string parameter: '{size}'"
        )
    return _from_utf16(units[start * 2:(start + length) * 2])


@TABLE.add("padLeft", 2, 3)
def pad_left(ctx: CallContext, value: Any, total: Any, pad: Any = " ") -> str:
    check_type(ctx, 0, value, str, int)
    check_type(ctx, 1, total, int)
    check_type(ctx, 2, pad, str)
    if utf16_length(pad) != 1:
        raise ctx.error(f"the padding character of 'padLeft' must be a single character, not '{pad}'", arg=2)
    if total < 0:
        raise ctx.error(f"the total length of 'padLeft' can't be negative: {total}", arg=1)
    if total > MAX_STRING_LENGTH:
        raise ctx.error(f"the total length of 'padLeft' is too large: {total}", arg=1)
    text = value if isinstance(value, str) else str(value)
    missing = total - utf16_length(text)
    return pad * missing + text if missing > 0 else text


def _split_whitespace(text: str) -> list[str]:
    return re.split("[" + re.escape(NET_WHITESPACE) + "]", text)


@TABLE.add("split", 2)
def split(ctx: CallContext, text: Any, delimiter: Any) -> list[str]:
    check_type(ctx, 0, text, str)
    check_type(ctx, 1, delimiter, str, list)
    delimiters = [delimiter] if isinstance(delimiter, str) else delimiter
    for item in delimiters:
        if not isinstance(item, str):
            raise ctx.error(f"the delimiters of 'split' must be strings, not {type_name(item).lower()}", arg=1)
    # .NET's String.Split(string[]) ignores empty delimiters and, with none left, splits on
    # white space; at each position the first matching delimiter in the given order wins.
    usable = [d for d in delimiters if d]
    if not usable:
        return _split_whitespace(text)
    return re.split("|".join(re.escape(d) for d in usable), text)


@TABLE.add("join", 2)
def join(ctx: CallContext, items: Any, delimiter: Any) -> str:
    check_type(ctx, 0, items, list)
    check_type(ctx, 1, delimiter, str)
    for item in items:
        # Documented for arrays of strings; other primitives are converted as string() does
        # (undocumented, the lenient choice), nested arrays and objects are refused.
        if isinstance(item, (list, dict)):
            raise ctx.error(f"the array given to 'join' must hold strings, not {type_name(item).lower()}", arg=0)
    return delimiter.join(_text_of(ctx, 0, item) for item in items)


@TABLE.add("string", 1)
def string(ctx: CallContext, value: Any) -> str:
    # Strings unchanged, booleans `True`/`False`, objects and arrays compact JSON (documented);
    # null is undocumented: it gives '' as .NET's JValue null converts to text.
    return _text_of(ctx, 0, value)


# --- base64 and data URIs ---------------------------------------------------------------------


def _from_base64(ctx: CallContext, text: str, index: int = 0) -> bytes:
    """Convert.FromBase64String: white space ignored, padding required."""
    compact = "".join(c for c in text if c not in " \t\r\n")
    try:
        if len(compact) % 4:
            raise binascii.Error("bad length")
        return _b64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ctx.error(f"the value given to '{ctx.name}' is not a valid base64 string", arg=index) from None


@TABLE.add("base64", 1)
def base64(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return _b64.b64encode(utf8(value)).decode("ascii")


@TABLE.add("base64ToString", 1)
def base64_to_string(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return _from_base64(ctx, value).decode("utf-8", "replace")


@TABLE.add("base64ToJson", 1)
def base64_to_json(ctx: CallContext, value: Any) -> Any:
    check_type(ctx, 0, value, str)
    return parse_json(ctx, _from_base64(ctx, value).decode("utf-8", "replace"))


@TABLE.add("dataUri", 1)
def data_uri(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return "data:text/plain;charset=utf8;base64," + _b64.b64encode(utf8(value)).decode("ascii")


@TABLE.add("dataUriToString", 1)
def data_uri_to_string(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    comma = value.find(",")
    if value[:5].lower() != "data:" or comma < 0:
        raise ctx.error(f"the value given to 'dataUriToString' is not a data URI: '{value}'", arg=0)
    params = value[5:comma].split(";")
    data = value[comma + 1:]
    is_base64 = len(params) > 1 and params[-1].strip().lower() == "base64"
    charset = "utf-8"
    for param in params[1:]:
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip('"')
    try:
        codecs.lookup(charset)
    except LookupError:
        # Undocumented how Azure treats an unknown charset: read it as UTF-8 rather than fail.
        charset = "utf-8"
    raw = _from_base64(ctx, data) if is_base64 else _unescape_bytes(data)
    return raw.decode(charset, "replace")


# --- URIs -------------------------------------------------------------------------------------

_URI_RE = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S)
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443"}
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    output: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if output:
                output.pop()
        elif path == "/..":
            path = "/"
            if output:
                output.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            if end < 0:
                end = len(path)
            output.append(path[:end])
            path = path[end:]
    return "".join(output)


def _canonical_authority(scheme: str, authority: str) -> str:
    """Lower-case host and no default port, as .NET's Uri.ToString() shows them."""
    userinfo, at, hostport = authority.rpartition("@")
    host, port = hostport, ""
    if not hostport.endswith("]") and ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if port and port == _DEFAULT_PORTS.get(scheme):
        port = ""
    return f"{userinfo}{at}{host.lower()}" + (f":{port}" if port else "")


def resolve_uri(ctx: CallContext, base: str, relative: str) -> str:
    """.NET's `new Uri(new Uri(base), relative).ToString()`: RFC 3986 section 5 resolution."""
    parsed = _URI_RE.match(base.strip(NET_WHITESPACE))
    if parsed is None or not parsed.group(1) or not _SCHEME_RE.match(parsed.group(1)):
        raise ctx.error(f"the base URI '{base}' is not an absolute URI", arg=0)
    b_scheme, b_auth, b_path, b_query, _ = parsed.groups()
    b_scheme = b_scheme.lower()
    if b_scheme in _DEFAULT_PORTS and not b_auth:
        raise ctx.error(f"the base URI '{base}' has no host", arg=0)
    r = _URI_RE.match(relative)
    assert r is not None  # every string matches the RFC 3986 appendix B pattern
    r_scheme, r_auth, r_path, r_query, r_frag = r.groups()
    if r_scheme is not None and _SCHEME_RE.match(r_scheme):
        scheme, auth, path, query = r_scheme.lower(), r_auth, _remove_dot_segments(r_path), r_query
    else:
        if r_scheme is not None:
            # Not a valid scheme, so the colon belongs to the path.
            r = _URI_RE.match("./" + relative if not relative.startswith(("/", "?", "#")) else relative)
            assert r is not None
            _, r_auth, r_path, r_query, r_frag = r.groups()
        scheme = b_scheme
        if r_auth is not None:
            auth, path, query = r_auth, _remove_dot_segments(r_path), r_query
        else:
            auth = b_auth
            if r_path == "":
                path = b_path
                query = r_query if r_query is not None else b_query
            else:
                if r_path.startswith("/"):
                    path = _remove_dot_segments(r_path)
                elif b_auth is not None and b_path == "":
                    path = _remove_dot_segments("/" + r_path)
                else:
                    path = _remove_dot_segments(b_path[: b_path.rfind("/") + 1] + r_path)
                query = r_query
    out = scheme + ":"
    if auth is not None:
        out += "//" + _canonical_authority(scheme, auth)
        if path == "":
            path = "/"
    out += path
    if query is not None:
        out += "?" + query
    if r_frag is not None:
        out += "#" + r_frag
    return out


@TABLE.add("uri", 2)
def uri(ctx: CallContext, base: Any, relative: Any) -> str:
    check_type(ctx, 0, base, str)
    check_type(ctx, 1, relative, str)
    return resolve_uri(ctx, base, relative)


@TABLE.add("uriComponent", 1)
def uri_component(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    # Uri.EscapeDataString: everything but the RFC 3986 unreserved characters, as UTF-8.
    unreserved = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return "".join(chr(b) if chr(b) in unreserved else f"%{b:02X}" for b in utf8(value))


def _unescape_bytes(text: str) -> bytes:
    """Percent-decoding to bytes; other characters as UTF-8."""
    out = bytearray()
    pos = 0
    for match in _PERCENT_RUN.finditer(text):
        out += utf8(text[pos:match.start()])
        out += bytes.fromhex(match.group(0).replace("%", ""))
        pos = match.end()
    out += utf8(text[pos:])
    return bytes(out)


def unescape_data_string(text: str) -> str:
    """Uri.UnescapeDataString: %XX runs that are valid UTF-8 are decoded, others stay as written."""

    def decode(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group(0).replace("%", ""))
        decoded = raw.decode("utf-8", "surrogateescape")
        return "".join(f"%{ord(c) - 0xDC00:02X}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in decoded)

    return _PERCENT_RUN.sub(decode, text)


@TABLE.add("uriComponentToString", 1)
def uri_component_to_string(ctx: CallContext, value: Any) -> str:
    check_type(ctx, 0, value, str)
    return unescape_data_string(value)


# --- json -------------------------------------------------------------------------------------


class _JsonError(Exception):
    pass


class _JsonReader:
    """Newtonsoft's JToken.Parse as ARM uses it: JSON plus single-quoted strings, unquoted
    property names, comments, trailing commas, NaN and Infinity. Later duplicate keys win."""

    _ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\", '"': '"', "'": "'"}
    _NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
    _WORDS = {"true": True, "false": False, "null": None, "NaN": float("nan"), "Infinity": float("inf")}

    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> _JsonError:
        return _JsonError(f"{what} at position {self.pos}")

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch.isspace():
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def document(self) -> Any:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("no JSON value")
        value = self.value(0)
        self.skip()
        if self.pos < len(self.text):
            raise self.fail("additional text after the JSON value")
        return value

    def value(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail("JSON nested too deeply")
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of the JSON text")
        ch = self.text[self.pos]
        if ch == "{":
            return self.object(depth)
        if ch == "[":
            return self.array(depth)
        if ch in "\"'":
            return self.string()
        number = self._NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            literal = number.group(0)
            if any(c in literal for c in ".eE"):
                return float(literal)
            return int(literal)
        if self.text.startswith("-Infinity", self.pos):
            self.pos += len("-Infinity")
            return float("-inf")
        for word, result in self._WORDS.items():
            if self.text.startswith(word, self.pos):
                end = self.pos + len(word)
                if end >= len(self.text) or not (self.text[end].isalnum() or self.text[end] in "_$"):
                    self.pos = end
                    return result
        raise self.fail(f"unexpected character '{ch}'")

    def string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.fail("unterminated string")
            ch = text[self.pos]
            if ch == quote:
                self.pos += 1
                return "".join(out)
            if ch == "\\":
                esc = text[self.pos + 1:self.pos + 2]
                if esc == "u":
                    digits = text[self.pos + 2:self.pos + 6]
                    if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                        raise self.fail("bad \\u escape")
                    out.append(chr(int(digits, 16)))
                    self.pos += 6
                    continue
                if esc not in self._ESCAPES:
                    raise self.fail("bad escape")
                out.append(self._ESCAPES[esc])
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1

    def key(self) -> str:
        self.skip()
        if self.pos < len(self.text) and self.text[self.pos] in "\"'":
            return self.string()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_$"):
            self.pos += 1
        if self.pos == start:
            raise self.fail("expected a property name")
        return self.text[start:self.pos]

    def object(self, depth: int) -> dict[str, Any]:
        self.pos += 1
        result: dict[str, Any] = {}
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return result
            name = self.key()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':'")
            self.pos += 1
            result[name] = self.value(depth + 1)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("}", self.pos):
                raise self.fail("expected ',' or '}'")

    def array(self, depth: int) -> list[Any]:
        self.pos += 1
        result: list[Any] = []
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return result
            result.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise self.fail("expected ',' or ']'")


def parse_json(ctx: CallContext, text: str) -> Any:
    """Parse JSON text as ARM does, raising ArmError when it isn't JSON."""
    try:
        return _JsonReader(text).document()
    except _JsonError as err:
        raise ctx.error(f"the value given to '{ctx.name}' is not valid JSON: {err}", arg=0) from None


@TABLE.add("json", 1)
def json(ctx: CallContext, value: Any) -> Any:
    check_type(ctx, 0, value, str)
    return parse_json(ctx, value)


# --- format -----------------------------------------------------------------------------------


class _FormatError(Exception):
    pass


def _round(value: Decimal, decimals: int) -> Decimal:
    """Round half away from zero, as .NET's number formatting does."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _digits(value: Decimal, decimals: int) -> tuple[str, str]:
    """Integer and fraction digits of |value| rounded to `decimals` places."""
    text = f"{_round(abs(value), decimals):f}"
    whole, _, frac = text.partition(".")
    return whole, frac


def _group(whole: str) -> str:
    head = len(whole) % 3 or 3
    parts = [whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)]
    return ",".join(parts)


def _exponent_form(value: Decimal, significant: int) -> tuple[str, int]:
    """Digits (at least one, `significant` of them) and decimal exponent of the first digit."""
    if value == 0:
        return "0" * max(significant, 1), 0
    value = abs(value)
    exponent = value.adjusted()
    rounded = _round(value.scaleb(-exponent), significant - 1)
    if rounded >= 10:
        exponent += 1
        rounded = _round(value.scaleb(-exponent), significant - 1)
    digits = f"{rounded:f}".replace(".", "")
    return digits, exponent


def _shortest(value: float) -> Decimal:
    """The shortest decimal that reads back as `value` (what .NET Core 3+ prints)."""
    return Decimal(repr(value))


def _general(value: Decimal, precision: int, upper: bool, shortest: bool) -> str:
    """.NET's "G" format: fixed or scientific, whichever the exponent asks for."""
    sign = "-" if value < 0 or (value == 0 and value.is_signed()) else ""
    if shortest:
        digits, exponent = value.as_tuple().digits, value.adjusted()
        text = "".join(str(d) for d in digits).rstrip("0") or "0"
        if value == 0:
            exponent = 0
    else:
        text, exponent = _exponent_form(value, precision)
        text = text.rstrip("0") or "0"
    # Fixed-point only while -5 < exponent < precision, as .NET documents for "G".
    if exponent >= precision or exponent <= -5:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        letter = "E" if upper else "e"
        return f"{sign}{mantissa}{letter}{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{text}"
    whole = text[: exponent + 1].ljust(exponent + 1, "0")
    frac = text[exponent + 1:]
    return sign + whole + ("." + frac if frac else "")


def _standard(value: int | float, letter: str, precision: int | None) -> str:
    """.NET's standard numeric format strings with the invariant culture."""
    is_integer = isinstance(value, int)
    number = Decimal(value)
    # .NET Core 3+ shows the sign of a negative value even when it rounds to zero.
    negative = number < 0 or (not is_integer and number == 0 and number.is_signed())
    kind = letter.upper()
    if kind == "D":
        if not is_integer:
            raise _FormatError("the 'D' format is only for integers")
        return ("-" if negative else "") + str(abs(int(value))).rjust(precision or 0, "0")
    if kind == "X":
        if not is_integer:
            raise _FormatError("the 'X' format is only for integers")
        text = format(int(value) & _M64 if value < 0 else int(value), "X" if letter == "X" else "x")
        return text.rjust(precision or 0, "0")
    if kind in ("F", "N", "C", "P"):
        decimals = 2 if precision is None else precision
        scaled = number * 100 if kind == "P" else number
        whole, frac = _digits(scaled, decimals)
        if kind != "F":
            whole = _group(whole)
        body = whole + ("." + frac if frac else "")
        if kind == "C":
            return f"(¤{body})" if negative else f"¤{body}"
        if kind == "P":
            return f"{'-' if negative else ''}{body} %"
        return ("-" if negative else "") + body
    if kind == "E":
        decimals = 6 if precision is None else precision
        digits, exponent = _exponent_form(number, decimals + 1)
        mantissa = digits[0] + ("." + digits[1:] if decimals > 0 else "")
        return f"{'-' if negative else ''}{mantissa}{letter}{'-' if exponent < 0 else '+'}{abs(exponent):03d}"
    if kind in ("G", "R"):
        if kind == "R" or not precision:
            if is_integer:
                return str(value)
            # Doubles print their shortest round-trip digits, scientific from 1E+15 up.
            return _general(_shortest(float(value)), 15, letter.isupper(), shortest=True)
        return _general(number, precision, letter.isupper(), shortest=False)
    raise _FormatError(f"'{letter}' is not a valid format specifier")


def _custom_sections(spec: str) -> list[str]:
    sections: list[str] = []
    current: list[str] = []
    i = 0
    quote: str | None = None
    while i < len(spec):
        ch = spec[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "\\" and i + 1 < len(spec):
            current.append(spec[i:i + 2])
            i += 2
            continue
        elif ch == ";":
            sections.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    sections.append("".join(current))
    return sections[:3]


def _tokens(section: str) -> list[tuple[str, str]]:
    """Split a custom format section into (kind, text): digit '0'/'#', '.', ',', '%', '‰', 'E', 'lit'."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch in "'\"":
            end = section.find(ch, i + 1)
            end = len(section) if end < 0 else end
            tokens.append(("lit", section[i + 1:end]))
            i = end + 1
        elif ch == "\\":
            tokens.append(("lit", section[i + 1:i + 2]))
            i += 2
        elif ch in "0#.,%‰":
            tokens.append((ch, ch))
            i += 1
        elif ch in "eE":
            match = re.match(r"[eE]([+-]?)(0+)", section[i:])
            if match:
                tokens.append(("E", match.group(0)))
                i += match.end()
            else:
                tokens.append(("lit", ch))
                i += 1
        else:
            tokens.append(("lit", ch))
            i += 1
    return tokens


def _custom(value: int | float, spec: str) -> str:
    """.NET custom numeric format strings: `0`, `#`, `.`, `,`, `%`, `‰`, `E0`, quotes, `;` sections."""
    number = Decimal(value)
    sections = _custom_sections(spec)
    negative = number < 0 or (isinstance(value, float) and number == 0 and number.is_signed())
    section = sections[0]
    explicit_sign = False
    if negative and len(sections) >= 2 and sections[1]:
        section, explicit_sign = sections[1], True
    elif number == 0 and len(sections) == 3 and sections[2]:
        section = sections[2]
    tokens = _tokens(section)
    # Where the placeholders are, and what `,`, `%` and `‰` ask for.
    point = next((i for i, (kind, _) in enumerate(tokens) if kind == "."), None)
    sci = next((i for i, (kind, _) in enumerate(tokens) if kind == "E"), None)
    end_of_number = sci if sci is not None else len(tokens)
    int_slots = [i for i, (kind, _) in enumerate(tokens[: point if point is not None else end_of_number]) if kind in ("0", "#")]
    frac_slots = [i for i, (kind, _) in enumerate(tokens) if kind in ("0", "#") and point is not None and point < i < end_of_number]
    min_int = 0
    for pos, slot in enumerate(int_slots):
        if tokens[slot][0] == "0":
            min_int = len(int_slots) - pos
            break
    min_frac = max((n + 1 for n, slot in enumerate(frac_slots) if tokens[slot][0] == "0"), default=0)
    grouping = False
    scale = 0
    if int_slots:
        last_int = int_slots[-1]
        for i in range(int_slots[0], last_int):
            if tokens[i][0] == ",":
                grouping = True
        i = last_int + 1
        while i < len(tokens) and tokens[i][0] == ",":
            scale += 1
            i += 1
    for kind, _ in tokens:
        if kind == "%":
            number *= 100
        elif kind == "‰":
            number *= 1000
    number = number.scaleb(-3 * scale)
    exponent_text = ""
    if sci is not None:
        places = max(len(int_slots), 1)
        digits, exponent = _exponent_form(number, places + len(frac_slots))
        exponent -= places - 1
        whole, frac = digits[:places].lstrip("0") or "", digits[places:]
        if not whole and min_int:
            whole = "0"
        marker = tokens[sci][1]
        sign_kind = marker[1] if marker[1] in "+-" else "-"
        zeros = len(marker.lstrip("eE+-"))
        sign_text = "-" if exponent < 0 else ("+" if sign_kind == "+" else "")
        exponent_text = marker[0] + sign_text + str(abs(exponent)).rjust(zeros, "0")
    else:
        whole, frac = _digits(number, len(frac_slots))
        if whole == "0":
            whole = ""
    frac = frac.rstrip("0")
    frac = frac.ljust(min_frac, "0")
    whole = whole.rjust(min_int, "0")
    out: list[str] = []
    if negative and not explicit_sign:
        out.append("-")
    shift = len(whole) - len(int_slots)  # digits beyond the placeholders all go to the first one

    def emit_digit(index: int) -> None:
        out.append(whole[index])
        from_right = len(whole) - 1 - index
        if grouping and from_right > 0 and from_right % 3 == 0:
            out.append(",")

    slot_no = 0
    frac_no = 0
    for i, (kind, text) in enumerate(tokens):
        if kind in ("0", "#") and i in int_slots:
            index = slot_no + shift
            if slot_no == 0:
                for extra in range(index):
                    emit_digit(extra)
            if 0 <= index < len(whole):
                emit_digit(index)
            slot_no += 1
        elif kind in ("0", "#"):
            if frac_no < len(frac):
                out.append(frac[frac_no])
            frac_no += 1
        elif kind == ".":
            if i == point and frac:
                out.append(".")
        elif kind == ",":
            continue
        elif kind == "%":
            out.append("%")
        elif kind == "‰":
            out.append("‰")
        elif kind == "E":
            out.append(exponent_text)
        else:
            out.append(text)
    return "".join(out)


def _format_value(value: Any, spec: str | None) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # Strings, booleans, null, arrays and objects ignore the format string, as in .NET.
        return arm_string(value)
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if not spec:
        return _standard(value, "G", None)
    standard = re.fullmatch(r"([A-Za-z])(\d*)", spec)
    if standard:
        precision = int(standard.group(2)) if standard.group(2) else None
        if precision is not None and precision > MAX_FORMAT_PRECISION:
            raise _FormatError(f"the precision in '{spec}' is too large")
        return _standard(value, standard.group(1), precision)
    return _custom(value, spec)


def composite_format(text: str, args: list[Any]) -> str:
    """.NET's String.Format: `{index[,alignment][:format]}` items, `{{` and `}}` escapes."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "}":
            if text.startswith("}}", i):
                out.append("}")
                i += 2
                continue
            raise _FormatError(f"unexpected '}}' at position {i}")
        if ch != "{":
            out.append(ch)
            i += 1
            continue
        if text.startswith("{{", i):
            out.append("{")
            i += 2
            continue
        start = i
        i += 1
        digits = re.match(r"[0-9]+", text[i:])
        if not digits:
            raise _FormatError(f"a format item at position {start} has no index")
        index = int(digits.group(0))
        i += digits.end()
        while i < n and text[i] == " ":
            i += 1
        alignment = 0
        if i < n and text[i] == ",":
            i += 1
            while i < n and text[i] == " ":
                i += 1
            align = re.match(r"-?[0-9]+", text[i:])
            if not align:
                raise _FormatError(f"a format item at position {start} has a bad alignment")
            alignment = int(align.group(0))
            i += align.end()
            while i < n and text[i] == " ":
                i += 1
        spec: str | None = None
        if i < n and text[i] == ":":
            end = text.find("}", i + 1)
            if end < 0 or "{" in text[i + 1:end]:
                raise _FormatError(f"the format item at position {start} is not closed")
            spec = text[i + 1:end]
            i = end
        if i >= n or text[i] != "}":
            raise _FormatError(f"the format item at position {start} is not closed")
        i += 1
        if index >= len(args):
            raise _FormatError(f"the index {index} is beyond the {len(args)} argument(s) given")
        if abs(alignment) > MAX_STRING_LENGTH:
            raise _FormatError(f"the alignment {alignment} is too large")
        piece = _format_value(args[index], spec)
        width = abs(alignment) - utf16_length(piece)
        if width > 0:
            piece = piece + " " * width if alignment < 0 else " " * width + piece
        out.append(piece)
    return "".join(out)


# The docs mark arg1 as required; a format string without items needs none, so we accept that.
@TABLE.add("format", 1, None)
def format_(ctx: CallContext, text: Any, *args: Any) -> str:
    check_type(ctx, 0, text, str)
    values = [
        value if isinstance(value, (int, float)) and not isinstance(value, bool) else _text_of(ctx, index + 1, value)
        for index, value in enumerate(args)
    ]
    try:
        with localcontext() as context:
            # Exact float expansions and large precisions need more than 28 digits.
            context.prec = 2500
            context.Emax = 999999
            context.Emin = -999999
            return composite_format(text, values)
    except _FormatError as err:
        raise ctx.error(f"the format string of 'format' is invalid: {err}", arg=0) from None
    except DecimalException:
        raise ctx.error("the format string of 'format' asks for more digits than can be shown", arg=0) from None


__all__ = ["TABLE", "composite_format", "guid_of", "murmur64", "parse_json", "resolve_uri", "unique_string_of"]
