"""What ARM005, ARM009 and ARM019 look for in resource properties as written, found in one walk.

Each of these rules looks at every value under every declaration's `properties`, which is most of
a template: one walk per document records, per declaration, the few values each of them judges,
and each rule filters and reports its own. A nested deployment's inline `template` is left out:
its resources are declarations of their own.
"""
from __future__ import annotations

import re
from typing import Any, NamedTuple

from ...source import Document
from ..base import raw_key
from ._scan import DEPLOYMENTS, Declaration, JsonPath, declarations, per_document

# Admin credentials a resource can be given (lower-case name -> what it holds).
ADMIN_CREDENTIALS = {"adminusername": "user name", "adminpassword": "password", "administratorloginpassword": "password"}
_CREDENTIAL_LENGTHS = frozenset(len(name) for name in ADMIN_CREDENTIALS)  # a cheap test before lower()

# A property named `id` or `...Id` (`...ID`): it may hold a resource ID.
_ID_PROPERTY = re.compile(r"(?:^id|Id|ID)$")
_ID_ENDINGS = ("d", "D", "\n")  # its last character (`$` also matches before a final newline)
_ID_STARTS = ("[", "/")  # an expression, or an ID written out (it starts with '/')

Found = list[tuple[JsonPath, str, Any]]  # (path of the object that holds it, property name, value)


class DeclaredProperties(NamedTuple):
    """One declaration's `properties` (an object), and what the rules look for in it, in document
    order. The paths of the objects that hold them are relative to `path`; an array element is not
    a property, only what is inside."""

    declaration: Declaration
    path: JsonPath  # of `properties`, spelled as in the template
    id_strings: Found  # strings that start with '[' or '/' under a property named `id` or `...Id`
    blanks: Found  # "", {} and [] values of properties
    credentials: Found  # properties named like an admin credential (`ADMIN_CREDENTIALS`), any value


@per_document
def declared_properties(document: Document) -> list[DeclaredProperties]:
    """Every declaration of the file whose `properties` holds something the rules look for."""
    found: list[DeclaredProperties] = []
    id_strings: Found = []
    blanks: Found = []
    credentials: Found = []
    for declaration in declarations(document):
        raw = declaration.raw
        section = "properties" if "properties" in raw else raw_key(raw, "properties")
        properties = raw.get(section)
        if type(properties) is not dict:
            continue
        if declaration.type_lower == DEPLOYMENTS:
            properties = {key: value for key, value in properties.items() if key.lower() != "template"}
        _visit(properties, (), id_strings, blanks, credentials)
        # Most declarations hold nothing: not keeping them (nor new lists for each) spares objects
        # that would live as long as the document (and the garbage collections that more of them cause).
        if id_strings or blanks or credentials:
            found.append(DeclaredProperties(declaration, declaration.path + (section,), id_strings, blanks, credentials))
            id_strings, blanks, credentials = [], [], []
    return found


def _visit(value: Any, path: JsonPath, id_strings: Found, blanks: Found, credentials: Found) -> None:
    """Records what is below `value` (a non-empty object or array at `path`). This walks every value
    of every resource: the cheapest tests come first, and paths are only built for containers."""
    if type(value) is dict:  # parsed JSON holds exactly these types
        for key, item in value.items():
            if len(key) in _CREDENTIAL_LENGTHS and key.lower() in ADMIN_CREDENTIALS:
                credentials.append((path, key, item))
            kind = type(item)
            if kind is str:
                if not item:
                    blanks.append((path, key, item))
                # The name first: 1 string in 7 is under a name ending in 'd', 4 in 5 start with '[' or '/'.
                elif key[-1:] in _ID_ENDINGS and item[:1] in _ID_STARTS and _ID_PROPERTY.search(key):
                    id_strings.append((path, key, item))
            elif kind is dict or kind is list:
                if item:
                    _visit(item, path + (key,), id_strings, blanks, credentials)
                else:
                    blanks.append((path, key, item))
    else:
        for i, item in enumerate(value):
            if (type(item) is dict or type(item) is list) and item:
                _visit(item, path + (i,), id_strings, blanks, credentials)
