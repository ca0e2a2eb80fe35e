"""Generic template-quality rules (ARM001-ARM019): what arm-ttk's deploymentTemplate tests and the
Bicep linter check, so a team can drop arm-ttk and keep its protection."""
from __future__ import annotations

from ..base import Rule
from .blanks import PropertyBlank
from .deployments import DeploymentDebugLogging
from .endpoints import EndpointHardcoded
from .expressions import ApiVersionFromProviders, DependsOnConditional, VariableNameComputed
from .location import LocationHardcoded, LocationMissing
from .parameters import ParameterDeclarationInconsistent, ParameterNotUsed, VariableNotUsed
from .resource_ids import ResourceIdNotDerived, ResourceIdRedundantArguments
from .schema import ApiVersionInvalid, SchemaNotRecognized
from .secrets import AdminCredentialIsLiteral, OutputContainsSecret, PasswordParameterNotSecure, SecureParameterHasDefault

RULES: tuple[type[Rule], ...] = (
    ParameterNotUsed,
    VariableNotUsed,
    SecureParameterHasDefault,
    PasswordParameterNotSecure,
    AdminCredentialIsLiteral,
    OutputContainsSecret,
    LocationHardcoded,
    LocationMissing,
    ResourceIdNotDerived,
    ResourceIdRedundantArguments,
    DependsOnConditional,
    VariableNameComputed,
    ParameterDeclarationInconsistent,
    SchemaNotRecognized,
    ApiVersionInvalid,
    EndpointHardcoded,
    ApiVersionFromProviders,
    DeploymentDebugLogging,
    PropertyBlank,
)
