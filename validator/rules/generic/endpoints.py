"""ARM016: cloud endpoints written into the template instead of taken from `environment()`."""
from __future__ import annotations

import re
from functools import lru_cache
from operator import itemgetter
from typing import Iterator

from ...findings import Finding
from ..base import LintContext, Rule
from ._scan import document_index, finding, position_in_string

# The hosts the Bicep linter's no-hardcoded-env-urls rule disallows: they differ per cloud and
# `environment()` returns them.
_ENDPOINT_SUFFIXES = (
    r"management\.azure\.com",
    r"management\.core\.windows\.net",
    r"login\.microsoftonline\.com",
    r"graph\.windows\.net",
    r"gallery\.azure\.com",
    r"core\.windows\.net",  # storage (blob, queue, table, file, dfs, web) and batch
    r"vault\.azure\.net",
    r"database\.windows\.net",
    r"datalake\.azure\.net",
    r"azuredatalakestore\.net",
    r"azuredatalakeanalytics\.net",
    r"asazure\.windows\.net",
    r"api\.loganalytics\.io",
    r"trafficmanager\.net",
)
# A whole host (or a `.suffix` glued to an expression) ending in one of the suffixes.
_ENDPOINT = re.compile(
    r"(?<![\w.-])\.?(?:[\w-]+\.)*(?:" + "|".join(_ENDPOINT_SUFFIXES) + r")(?![\w-])",
    re.IGNORECASE,
)
_SCHEMA_HOST = "schema.management.azure.com"
# The last two labels of every suffix above ("azure.com", "windows.net", ...): a cheap first test.
_TAILS = tuple(sorted({".".join(suffix.replace("\\.", ".").split(".")[-2:]) for suffix in _ENDPOINT_SUFFIXES}))


@lru_cache(maxsize=65536)  # the same strings repeat across templates: 7.8k distinct of 78k in the AVM corpus
def _first_endpoint(text: str) -> re.Match[str] | None:
    """The first endpoint host in `text` other than `$schema`'s, or None. `_TAILS` first: few
    strings name one, and `_ENDPOINT` costs more per character than a search for each tail."""
    lowered = text.lower()
    if not any(map(lowered.__contains__, _TAILS)):
        return None
    for match in _ENDPOINT.finditer(text):
        if match.group(0).lstrip(".").lower() != _SCHEMA_HOST:
            return match
    return None


class EndpointHardcoded(Rule):
    """
    ## What it does
    Reports a string (a literal value, or a string inside an expression) that contains the host
    of an Azure cloud endpoint, from the Bicep linter's list: `management.azure.com`,
    `management.core.windows.net`, `login.microsoftonline.com`, `graph.windows.net`,
    `gallery.azure.com`, `*.core.windows.net` (storage: `.blob.`, `.queue.`, `.table.`, `.file.`,
    `.dfs.`, `.web.`; batch), `*.vault.azure.net`, `*.database.windows.net`, Data Lake,
    `asazure.windows.net`, `api.loganalytics.io` and `trafficmanager.net`. `$schema`
    (`schema.management.azure.com`) and `metadata` objects (descriptions, links) are exempt. One
    finding per string, at the first host.

    ## Why is this bad?
    The endpoints differ per cloud (Azure Government, Azure China, Azure Stack): a template with
    `.blob.core.windows.net` written in it deploys resources that point at the wrong cloud, or
    fails, anywhere but in the public cloud.

    ## Example
    ```json
    "blobEndpoint": "[concat('https://', parameters('storageName'), '.blob.core.windows.net/')]"
    ```

    ## Use instead
    ```json
    "blobEndpoint": "[concat('https://', parameters('storageName'), '.blob.', environment().suffixes.storage, '/')]"
    ```
    or, better, `reference(...).primaryEndpoints.blob` of the storage account.

    ## References
    - https://github.com/Azure/arm-ttk (DeploymentTemplate-Must-Not-Contain-Hardcoded-Uri)
    - https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-deployment#environment
    - https://learn.microsoft.com/azure/azure-resource-manager/bicep/linter-rule-no-hardcoded-environment-urls
    """

    id = "ARM016"
    name = "endpoint-hardcoded"
    severity = "warning"
    summary = "an Azure cloud endpoint written into the template"
    remedy = "take the endpoint from environment() (or from the resource's reference())"

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        index = document_index(ctx.document)
        # Every dotted string is tested in C (`map`, `filter`), most of them by a cache hit.
        found = map(_first_endpoint, map(itemgetter(2), index.dotted))
        for (container, key, _), match in filter(itemgetter(1), zip(index.dotted, found)):
            yield finding(
                self,
                ctx,
                f"the endpoint '{match.group(0)}' is written into the template: it is wrong in any cloud but Azure's public one",
                position_in_string(ctx, index.paths.path(container, key), match.span()),
            )
