"""IDM003: a secret or password that gets a new value on every deployment."""
from __future__ import annotations

from typing import Any, Iterator

from ...expressions.values import OpenObject, Unknown
from ...findings import Finding
from ...template.model import ExpandedResource
from ..base import LintContext, Rule, raw_get, raw_key
from ..base import display_name
from .sources import declaring_template, defaults_used, nondeterministic_parameters

VAULT_SECRETS = "microsoft.keyvault/vaults/secrets"
_SECRET_SUFFIXES = ("password", "secret")


def _unknown_secrets(evaluated: Any, keys: tuple[Any, ...], found: list[tuple[tuple[Any, ...], Unknown]]) -> None:
    """Adds `(keys, value)` of every password-like property below `evaluated` (an evaluated object
    or array) whose value is Unknown to `found`, `keys` the way there: object keys as evaluated,
    array indices. Only an Unknown can change from one run to the next."""
    # This visits every evaluated property of every resource (87k in the AVM corpus), so exact type
    # tests (evaluated values are plain JSON types, OpenObject and Unknown), and the Unknown test
    # before lower-casing a name: most values are known.
    if isinstance(evaluated, dict):
        for key, value in evaluated.items():
            kind = type(value)
            if kind is dict or kind is list or kind is OpenObject:
                _unknown_secrets(value, keys + (key,), found)
            elif kind is Unknown and key.lower().endswith(_SECRET_SUFFIXES):
                found.append((keys + (key,), value))
    else:
        for i, value in enumerate(evaluated):
            kind = type(value)
            if kind is dict or kind is list or kind is OpenObject:
                _unknown_secrets(value, keys + (i,), found)


def _as_written(raw: Any, keys: tuple[Any, ...], path: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
    """The source path (keys spelled as in the template) and the raw value at evaluated `keys`
    below `raw`; the raw value is None where the template has nothing there (a value that comes
    from a parameter or a variable)."""
    for key in keys:
        if isinstance(key, int):
            path += (key,)
            raw = raw[key] if isinstance(raw, list) and key < len(raw) else None
        elif isinstance(raw, dict):
            path += (raw_key(raw, key),)
            raw = raw_get(raw, key)
        else:
            path += (key,)
            raw = None
    return path, raw


def _candidates(resource: ExpandedResource) -> Iterator[tuple[tuple[Any, ...], Any, Any]]:
    """(path, raw value, evaluated value) of what may hold a changing secret: a Key Vault secret's
    `value`, else every password-like property under `properties` whose evaluated value is Unknown."""
    if resource.type_lower == VAULT_SECRETS:
        raw_properties = raw_get(resource.raw, "properties")
        path = (raw_key(resource.raw, "properties"), raw_key(raw_properties, "value"))
        yield path, raw_get(raw_properties, "value"), raw_get(resource.properties, "value")
        return
    evaluated = resource.properties
    if not isinstance(evaluated, (dict, list)):
        return
    # The walk reads only the evaluated value; the raw one is looked up for the few that match.
    found: list[tuple[tuple[Any, ...], Unknown]] = []
    _unknown_secrets(evaluated, (), found)
    if not found:
        return
    raw_properties = raw_get(resource.raw, "properties")
    properties_path = (raw_key(resource.raw, "properties"),)
    for keys, value in found:
        key_path, raw_value = _as_written(raw_properties, keys, properties_path)
        yield key_path, raw_value, value


class SecretRegeneratedEveryRun(Rule):
    """
    ## What it does
    Reports a secret or password whose value comes from `newGuid()` or `utcNow()`, usually as the
    default of a secure parameter: a Key Vault secret's `properties.value`, or a property named
    like a password or secret (`adminPassword`, `administratorLoginPassword`, `password`,
    `clientSecret`, ...) anywhere in a resource's properties.

    ## Why is this bad?
    Azure evaluates the default again on every deployment that does not pass the parameter, so
    every run sets a new password, and writes a new version of the Key Vault secret (a version is
    only added when the value changes). Whatever still uses the old value (connection strings,
    applications, other templates) stops working after the next deployment.

    ## Example
    ```json
    "parameters": { "sqlPassword": { "type": "securestring", "defaultValue": "[newGuid()]" } },
    ...
    "properties": { "administratorLogin": "sqladmin", "administratorLoginPassword": "[parameters('sqlPassword')]" }
    ```

    ## Use instead
    Generate the password once, outside the template, and pass it in from a Key Vault reference
    in the parameter file:
    ```json
    "sqlPassword": { "reference": { "keyVault": { "id": "<vault id>" }, "secretName": "sql-admin-password" } }
    ```

    ## References
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-string#newguid
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/key-vault-parameter
    - https://github.com/Azure/bicep/issues/6448
    """

    id = "IDM003"
    name = "secret-regenerated-every-run"
    severity = "warning"
    summary = "a secret or password that changes on every deployment"
    remedy = "pass the secret in (a Key Vault reference in the parameter file) instead of a newGuid()/utcNow() default"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for resource in ctx.resources():
            if resource.existing or resource.deployed is False:
                continue
            for path, raw_value, value in _candidates(resource):
                parameters = self._changing_parameters(ctx, resource, raw_value, value)
                if parameters is None:
                    continue
                yield self.finding(ctx, self._message(resource, path, parameters), resource=resource, path=path)

    @staticmethod
    def _changing_parameters(ctx: LintContext, resource: ExpandedResource, raw_value: Any, value: Any) -> list[str] | None:
        """The parameters that make the value change on every run ([] when they cannot be named),
        or None when the value is stable."""
        if not isinstance(value, Unknown):
            return None
        template = declaring_template(resource)
        if value.nondeterministic:
            return nondeterministic_parameters(template, raw_value)
        # A secure parameter may hide the flag: read the default as written, when it is in use.
        used = defaults_used(ctx, resource, raw_value)
        return used or None

    @staticmethod
    def _message(resource: ExpandedResource, path: tuple[Any, ...], parameters: list[str]) -> str:
        origin = (
            " and ".join(f"the newGuid()/utcNow() default of parameter '{p}'" for p in parameters)
            if parameters
            else "newGuid() or utcNow()"
        )
        if resource.type_lower == VAULT_SECRETS:
            return (
                f"the value of Key Vault secret '{display_name(resource)}' comes from {origin}: every deployment "
                f"that does not pass it writes a new secret value and a new secret version, and whatever "
                f"read the old value stops working"
            )
        return (
            f"`{path[-1]}` of {resource.type} '{display_name(resource)}' comes from {origin}: every deployment "
            f"that does not pass it sets a new password, and whatever used the old one stops working"
        )
