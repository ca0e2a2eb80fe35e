"""ARM016: cloud endpoints written into the template instead of taken from `environment()`."""
from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
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


def _naming_a_tail(texts: list[str]) -> list[int]:
    """The indexes of the texts that contain one of `_TAILS` (case-insensitive). Few do, so all
    the texts are searched at once, joined, by C searches rather than a test of each string."""
    everything = "\n".join(texts)
    if everything.isascii():  # lower-casing keeps every offset
        everything = everything.lower()
        lengths = map(len, texts)
    else:  # a few characters change length when lower-cased: lower each text on its own
        lowered = list(map(str.lower, texts))
        everything = "\n".join(lowered)
        lengths = map(len, lowered)
    ends = list(accumulate(map((1).__add__, lengths)))  # just past each text's "\n"
    found: set[int] = set()
    for tail in _TAILS:
        at = everything.find(tail)
        while at != -1:
            found.add(bisect_right(ends, at))
            at = everything.find(tail, at + 1)
    return sorted(found)


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
        for number in _naming_a_tail([text for _, _, text in index.dotted]):
            container, key, text = index.dotted[number]
            for match in _ENDPOINT.finditer(text):
                if match.group(0).lstrip(".").lower() == _SCHEMA_HOST:
                    continue
                yield finding(
                    self,
                    ctx,
                    f"the endpoint '{match.group(0)}' is written into the template: it is wrong in any cloud but Azure's public one",
                    position_in_string(ctx, index.paths.path(container, key), match.span()),
                )
                break  # one finding per string
