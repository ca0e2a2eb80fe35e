"""The source layer: template and parameter-file text as Azure reads it, with positions for any JSON path."""
from .document import (
    TRAILING_COMMA_MESSAGE,
    Document,
    JsonPath,
    Location,
    SourceError,
    SourceWarning,
    load_document,
    parse_document,
)
from .parameters import (
    COMMAND_LINE,
    KeyVaultReference,
    ParameterEntry,
    ParameterFile,
    coerce_cli_value,
    load_parameter_file,
    parameter_file_from_document,
    parse_cli_parameter,
    parse_parameter_text,
    split_cli_parameter,
)

__all__ = [
    "COMMAND_LINE",
    "TRAILING_COMMA_MESSAGE",
    "Document",
    "JsonPath",
    "KeyVaultReference",
    "Location",
    "ParameterEntry",
    "ParameterFile",
    "SourceError",
    "SourceWarning",
    "coerce_cli_value",
    "load_document",
    "load_parameter_file",
    "parameter_file_from_document",
    "parse_cli_parameter",
    "parse_document",
    "parse_parameter_text",
    "split_cli_parameter",
]
