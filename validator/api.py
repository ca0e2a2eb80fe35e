"""The library surface: what the command line does, callable from Python."""
from __future__ import annotations

import os
from typing import Any, Mapping

from .expressions.evaluator import DeploymentContext
from .source import load_document, load_parameter_file, parse_cli_parameter
from .template.expand import ExpandOptions, InputValue, expand_template
from .template.model import Expansion


def parameter_inputs(
    parameters_file: str | None = None,
    params: Mapping[str, Any] | list[str] | None = None,
) -> dict[str, InputValue]:
    """Parameter values from a parameter file and the command line (which wins), by lower-case name.

    `params` is either a mapping of names to values or a list of `NAME=VALUE` texts as given
    on the command line. Raises `SourceError` for a bad file or a malformed `NAME=VALUE`.
    """
    inputs: dict[str, InputValue] = {}
    if parameters_file is not None:
        parameter_file = load_parameter_file(parameters_file)
        for key, entry in parameter_file.entries.items():
            inputs[key] = InputValue(
                entry.value,
                "parameter file",
                entry.location.json_path,
                parameter_file.document,
                is_reference=entry.reference is not None,
            )
    if isinstance(params, list):
        pairs = [parse_cli_parameter(text) for text in params]
    else:
        pairs = list((params or {}).items())
    for name, value in pairs:
        inputs[name.lower()] = InputValue(value, "command line")
    return inputs


def expand(
    template: str,
    parameters_file: str | None = None,
    params: Mapping[str, Any] | list[str] | None = None,
    context: DeploymentContext | None = None,
    fill_missing: bool = False,
) -> Expansion:
    """Expand the template file `template` as Azure would deploy it.

    Raises `validator.source.SourceError` when the template or parameter file cannot be read;
    everything else (bad parameters, failing expressions, ...) is in `Expansion.diagnostics`.
    """
    document = load_document(template)
    if context is None:
        context = DeploymentContext(deployment_name=default_deployment_name(template))
    inputs = parameter_inputs(parameters_file, params)
    options = ExpandOptions(fill_missing=fill_missing, base_dir=os.path.dirname(os.path.abspath(template)))
    return expand_template(document, context, inputs, options)


def default_deployment_name(template: str) -> str:
    """The Azure CLI names a deployment after its template file."""
    return os.path.splitext(os.path.basename(template))[0] or "deployment"
