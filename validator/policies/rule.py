"""A policy compiled into a `Rule`: the engine runs it exactly like a built-in rule."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from ..expressions.values import Unknown, to_plain
from ..findings import Finding, Severity
from ..rules.base import LintContext, Rule, raw_get
from ..template.model import ExpandedResource
from .conditions import (
    Condition,
    ConditionError,
    Witness,
    compile_condition,
    describe,
    evaluate,
    shorten,
    unknown_text,
)
from .paths import EMPTY, MISSING, format_path

MESSAGE_FIELDS = ("name", "type", "path", "value", "reason")
DEFAULT_MESSAGE = "{type} '{name}': {reason}"


@dataclass(frozen=True)
class Policy:
    """One compiled policy; `definition` is the data it came from (to rebuild it in another process)."""

    id: str
    name: str
    severity: Severity
    summary: str
    remedy: str
    resource_types: tuple[str, ...]  # as written
    evaluation: Condition
    where: Condition | None
    message: str
    description: str
    references: tuple[str, ...]
    include_conditional: bool
    source: str  # "file:line:column" of the policy, for its documentation
    definition: dict[str, Any]


def compile_policy(definition: dict[str, Any], source: str, json_path: tuple[Any, ...] = ()) -> Policy:
    """A policy from its schema-valid data; raises ConditionError located by `json_path + ...`."""
    types = definition["resourceType"]
    message = definition.get("message", DEFAULT_MESSAGE)
    _check_message(message, json_path + ("message",))
    where = definition.get("where")
    return Policy(
        id=definition["id"],
        name=definition["name"],
        severity=definition["severity"],
        summary=definition["summary"],
        remedy=definition["remedy"],
        resource_types=tuple([types] if isinstance(types, str) else types),
        evaluation=compile_condition(definition["evaluation"], json_path + ("evaluation",)),
        where=None if where is None else compile_condition(where, json_path + ("where",)),
        message=message,
        description=definition.get("description", ""),
        references=tuple(definition.get("references", ())),
        include_conditional=bool(definition.get("includeConditional", False)),
        source=source,
        definition=definition,
    )


def _check_message(message: str, json_path: tuple[Any, ...]) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
    except ValueError as err:
        raise ConditionError(
            json_path, f"the message is not a valid template: {err} (write {{{{ and }}}} for braces)"
        ) from None
    unknown = [f for f in fields if f not in MESSAGE_FIELDS]
    if unknown:
        raise ConditionError(
            json_path,
            f"unknown placeholder {{{unknown[0]}}} in the message; available: "
            + ", ".join(f"{{{f}}}" for f in MESSAGE_FIELDS),
        )


class PolicyRule(Rule):
    """Base of the rule classes made from policies; `policy` is set on each generated class."""

    policy: ClassVar[Policy]

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        policy = self.policy
        for resource in ctx.resources(*self.resource_types):
            if resource.existing or resource.deployed is False:
                continue
            if resource.deployed is not True and not policy.include_conditional:
                continue  # the condition is undecided offline: checked only when the policy asks for it
            view = resource_view(resource)
            if policy.where is not None and evaluate(policy.where, view).holds is not True:
                continue
            outcome = evaluate(policy.evaluation, view)
            if outcome.holds is not False:
                continue  # holds, or cannot be decided: an Unknown never produces a finding
            reported: set[tuple[str | int, ...]] = set()
            for witness in outcome.evidence[0] if outcome.evidence else ():
                if witness.path in reported:
                    continue
                reported.add(witness.path)
                yield self.finding(
                    ctx,
                    self._message(resource, witness),
                    resource=resource,
                    path=source_path(resource.raw, witness.path),
                )

    @classmethod
    def _message(cls, resource: ExpandedResource, witness: Witness) -> str:
        value = witness.value
        # Unknowns print as their expression text (never a secret's value): `{"$unknown": "[...]"}`.
        plain = json.dumps(to_plain(value), default=str)
        if isinstance(value, Unknown):
            shown = unknown_text(value)
        else:
            shown = "not set" if value is MISSING else "empty" if value is EMPTY else shorten(plain)
        return cls.policy.message.format(
            name=resource_display_name(resource),
            type=resource.type,
            path=format_path(witness.path),
            value=shown,
            reason=witness.reason(),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Generated classes cannot be pickled by name; worker processes rebuild them from the data.
        return (policy_rule, (self.policy.definition, self.policy.source))


def policy_rule(definition: dict[str, Any], source: str, json_path: tuple[Any, ...] = ()) -> Rule:
    """The rule for one policy (an instance of a class generated for it); `json_path` locates
    the policy in its file, for the ConditionError raised when it does not compile."""
    policy = compile_policy(definition, source, json_path)
    attributes = {
        "__doc__": documentation(policy),
        "__module__": __name__,
        "id": policy.id,
        "name": policy.name,
        "severity": policy.severity,
        "summary": policy.summary,
        "remedy": policy.remedy,
        "resource_types": tuple(t.lower() for t in policy.resource_types),
        "policy": policy,
    }
    cls = type(f"Policy_{policy.id.replace('-', '_')}", (PolicyRule,), attributes)
    rule: Rule = cls()
    return rule


def resource_view(resource: ExpandedResource) -> dict[str, Any]:
    """What policy paths walk: `name`, `type`, `apiVersion`, then the evaluated body."""
    return {"name": resource.name, "type": resource.type, "apiVersion": resource.api_version, **resource.body}


def resource_display_name(resource: ExpandedResource) -> str:
    if isinstance(resource.name, str):
        return resource.name
    raw_name = raw_get(resource.raw, "name")
    return raw_name if isinstance(raw_name, str) else resource.name.expression


def source_path(raw: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The JSON path in the declaration as written for a concrete path into the evaluated resource.

    Stops where the written declaration no longer has the node (an expression, a property copy
    loop): the finding then points at what produced the value.
    """
    out: list[str | int] = []
    node = raw
    for step in path:
        if isinstance(step, str) and isinstance(node, dict):
            key = step if step in node else next((k for k in node if k.lower() == step.lower()), None)
            if key is None:
                break
            out.append(key)
            node = node[key]
        elif isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            out.append(step)
            node = node[step]
        else:
            break
    return tuple(out)


def documentation(policy: Policy) -> str:
    """The policy's documentation, under the same headings as a built-in rule's; its conditions in words."""
    types = " or ".join(f"`{t}`" for t in policy.resource_types)
    selection = "resource" if not policy.include_conditional else "resource that may be deployed (even when its `condition` cannot be decided offline)"
    if policy.where is None:
        applies = f"Checks every deployed {selection} of type {types}."
    else:
        applies = f"Checks every deployed {selection} of type {types} for which this holds:\n\n{_described(policy.where)}\n"
    references = "\n".join(f"- {r}" for r in policy.references) or "- none given"
    description = policy.description.strip() or f"{policy.summary[0].upper() + policy.summary[1:]}."
    written = {k: policy.definition[k] for k in ("resourceType", "where", "evaluation") if k in policy.definition}
    return (
        f"## What it does\n"
        f"A policy from `{policy.source}`. {applies}\n"
        f"Reports each one for which this does not hold:\n\n{_described(policy.evaluation)}\n\n"
        f"A value known only at deploy time (`reference()`, a secure parameter, ...) never produces a finding.\n"
        f"\n## Why is this bad?\n{description}\n"
        f"\n## Example\nThe policy as written in its file:\n\n"
        f"```json\n{json.dumps(written, indent=2)}\n```\n"
        f"\n## Use instead\n{policy.remedy[0].upper() + policy.remedy[1:]}.\n"
        f"\n## References\n{references}"
    )


def _described(condition: Condition) -> str:
    return "\n".join(describe(condition))
