"""The Azure back end: read a `ReadPlan` through the Azure SDK into a `LiveState`.

Imported only by the commands that talk to Azure. Credentials come from `DefaultAzureCredential`
(so `AZURE_TOKEN_CREDENTIALS`, `AZURE_CLIENT_ID`/`AZURE_TENANT_ID`/`AZURE_CLIENT_SECRET`, the Azure
CLI sign-in and managed identities all work). Strictly read-only: a request hook refuses anything
but GET and the POST of `checkNameAvailability`, which also stops the SDK's automatic resource
provider registration (a POST) from ever firing. Lookups run concurrently; each is read once.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from typing import Any

import requests
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.policies import RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import (
    AzureAuthorityHosts,
    CredentialUnavailableError,
    DefaultAzureCredential,
)
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from urllib3.util.retry import Retry

from .collect import (
    DELETED_VAULT_PERMISSION,
    GROUP_LISTING_PERMISSION,
    NAME_CHECK_PERMISSION,
    DeletedVaultRead,
    NameCheck,
    ReadPlan,
    ResourceRead,
    deleted_vault_lookup_id,
    group_listing_id,
    name_check_lookup_id,
    normalise_location,
    read_permission,
)
from .model import DeletedVault, LiveResource, LiveState, NameAvailability
from .provider import AzureTarget, StateError, redact_secrets

CLOUDS = {
    "AzureCloud": (AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, "https://management.azure.com"),
    "AzureChinaCloud": (AzureAuthorityHosts.AZURE_CHINA, "https://management.chinacloudapi.cn"),
    "AzureUSGovernment": (AzureAuthorityHosts.AZURE_GOVERNMENT, "https://management.usgovcloudapi.net"),
}
LISTING_API_VERSION = "2021-04-01"  # resource listing: served by every public cloud and Azure Stack Hub
SIGN_IN_ADVICE = (
    "sign in first: run `az login` (and `az account set --subscription SUB`), or set AZURE_CLIENT_ID, "
    "AZURE_TENANT_ID and AZURE_CLIENT_SECRET for a service principal, or run where a managed identity is "
    "available; or check against a snapshot with --state FILE"
)
_ACTION = re.compile(r"perform action '([^']+)'", re.IGNORECASE)
_ALLOWED_POST = re.compile(r"/providers/Microsoft\.KeyVault/checkNameAvailability$", re.IGNORECASE)


class _SignInRequired(StateError):
    pass


class _ReadOnlyViolation(Exception):
    """Raised by the request hook: the product never writes to a subscription."""


def _read_only_guard(request: Any) -> None:
    """`raw_request_hook`: let through GETs and the checkNameAvailability POST only."""
    http = request.http_request
    path = http.url.split("?", 1)[0]
    if http.method == "GET" or (http.method == "POST" and _ALLOWED_POST.search(path)):
        return
    raise _ReadOnlyViolation(f"refusing {http.method} {path}: arm-validator only reads")


class _BoundedRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """The SDK's retry policy, with a server's `Retry-After` capped at `retry_backoff_max` so one
    throttled answer cannot outlast the run's time budget."""

    def get_retry_after(self, response: Any) -> float | None:
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, float(self.backoff_max))


class _SharedTokenCredential:
    """Asks the real credential once per scope and shares the token with every client and thread
    (DefaultAzureCredential would otherwise start `az` once per client)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, ...], AccessTokenInfo] = {}

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        with self._lock:
            token = self._tokens.get(scopes)
            if token is None or token.expires_on - time.time() < 300:
                token = self._inner.get_token_info(*scopes, options=options)
                self._tokens[scopes] = token
            return token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        info = self.get_token_info(*scopes)
        return AccessToken(info.token, info.expires_on)

    def close(self) -> None:
        self._inner.close()


def _quiet_azure_loggers() -> None:
    """The SDK logs request details at DEBUG/INFO; nothing of it belongs in our output."""
    for name in ("azure", "azure.identity", "azure.core.pipeline.policies.http_logging_policy", "urllib3"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    logging.getLogger("azure.identity").setLevel(logging.ERROR)  # its per-credential warnings repeat our advice


def _endpoint(target: AzureTarget) -> tuple[str, str]:
    """(sign-in authority, ARM endpoint); AZURE_AUTHORITY_HOST wins, as azure-identity documents."""
    authority, arm = CLOUDS[target.cloud]
    return os.environ.get("AZURE_AUTHORITY_HOST") or authority, (target.arm_endpoint or arm).rstrip("/")


class AzureReader:
    """The clients and credential for one run, and the lookups that use them."""

    def __init__(self, plan: ReadPlan, target: AzureTarget) -> None:
        _quiet_azure_loggers()
        authority, self.endpoint = _endpoint(target)
        self.plan = plan
        self.target = target
        self.scope = self.endpoint + "/.default"
        self.credential = _SharedTokenCredential(DefaultAzureCredential(authority=authority))
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=4,
            pool_maxsize=max(target.workers, 10),
            max_retries=Retry(total=False, redirect=False, raise_on_status=False),  # azure-core retries
        )
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.trust_env = True  # proxies and REQUESTS_CA_BUNDLE from the environment
        self._vault_clients: dict[str, KeyVaultManagementClient] = {}
        self._lock = threading.Lock()
        self.resources = ResourceManagementClient(
            self.credential, plan.subscription_id, base_url=self.endpoint, api_version=LISTING_API_VERSION, **self._client_options()
        )

    def _client_options(self) -> dict[str, Any]:
        timeout = self.target.timeout
        verify: Any = True
        if not os.environ.get("REQUESTS_CA_BUNDLE") and os.environ.get("SSL_CERT_FILE"):
            verify = os.environ["SSL_CERT_FILE"]  # requests ignores SSL_CERT_FILE on its own
        return {
            "credential_scopes": [self.scope],
            "transport": RequestsTransport(
                session=self.session,
                session_owner=False,
                connection_timeout=min(10.0, timeout),
                read_timeout=min(60.0, timeout),
                connection_verify=verify,
            ),
            "retry_policy": _BoundedRetryPolicy(
                retry_total=4,
                retry_connect=2,
                retry_read=2,
                retry_status=4,
                retry_backoff_factor=0.5,
                retry_backoff_max=max(1, min(30, int(timeout / 4))),
                timeout=timeout,
            ),
            "raw_request_hook": _read_only_guard,
            "logging_enable": False,
        }

    def vaults(self, api_version: str) -> KeyVaultManagementClient:
        with self._lock:
            client = self._vault_clients.get(api_version)
            if client is None:
                client = KeyVaultManagementClient(
                    self.credential,
                    self.plan.subscription_id,
                    base_url=self.endpoint,
                    api_version=api_version,
                    **self._client_options(),
                )
                self._vault_clients[api_version] = client
            return client

    def sign_in(self) -> None:
        """Get the token before the concurrent lookups, so a missing sign-in is one clear error."""
        try:
            self.credential.get_token_info(self.scope)
        except (ClientAuthenticationError, CredentialUnavailableError) as err:
            raise _SignInRequired(f"no Azure credentials for {self.endpoint}: {SIGN_IN_ADVICE}. ({_first_line(err)})") from None

    def close(self) -> None:
        self.resources.close()
        for client in self._vault_clients.values():
            client.close()
        self.session.close()
        self.credential.close()


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "message", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _raw_json(pipeline_response: Any, deserialized: Any, headers: Any) -> Any:
    """`cls=` hook: keep the REST body exactly as Azure sent it."""
    return pipeline_response.http_response.json()


def _service_message(err: HttpResponseError) -> str:
    error = getattr(err, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None) or _first_line(err)
    return f"{code}: {message}" if code and not str(message).startswith(str(code)) else str(message)


def _failed(lookup_id: str, api_version: str, err: Exception, permission: str) -> LiveResource:
    """A lookup that did not answer: forbidden (with the missing action) or error; sign-in
    problems and unreachable endpoints abort the run instead."""
    if isinstance(err, ClientAuthenticationError):
        raise _SignInRequired(f"Azure rejected the credentials ({_first_line(err)}): {SIGN_IN_ADVICE}")
    if isinstance(err, ResourceNotFoundError) or (isinstance(err, HttpResponseError) and err.status_code == 404):
        return LiveResource(lookup_id, api_version, "not_found")
    if isinstance(err, HttpResponseError) and err.status_code == 403:
        message = _service_message(err)
        named = _ACTION.search(message)
        return LiveResource(lookup_id, api_version, "forbidden", missing_permission=named.group(1) if named else permission, message=message)
    if isinstance(err, _ReadOnlyViolation):  # e.g. the SDK wanted to register a resource provider
        return LiveResource(lookup_id, api_version, "error", message=f"{err} (the resource provider may not be registered in the subscription)")
    if isinstance(err, HttpResponseError):
        status = f"HTTP {err.status_code}: " if err.status_code else ""
        return LiveResource(lookup_id, api_version, "error", message=f"{status}{_service_message(err)}")
    return LiveResource(lookup_id, api_version, "error", message=_first_line(err))


Outcome = Callable[[LiveState], None]


def _read_resource(reader: AzureReader, read: ResourceRead, redact: bool = True) -> LiveResource:
    try:
        body: dict[str, Any] = reader.resources.resources.get_by_id(read.id, api_version=read.api_version, cls=_raw_json)  # type: ignore[assignment]
    except (HttpResponseError, ServiceResponseError, _ReadOnlyViolation) as err:
        return _failed(read.id, read.api_version, err, read_permission(read.type))
    return LiveResource(read.id, read.api_version, "found", body=redact_secrets(body, read.type) if redact else body)


def _read_deleted_vault(reader: AzureReader, read: DeletedVaultRead) -> Outcome:
    lookup_id = deleted_vault_lookup_id(reader.plan.subscription_id, read.location, read.name)
    try:
        body = reader.vaults(read.api_version).vaults.get_deleted(read.name, normalise_location(read.location), cls=_raw_json)
    except (HttpResponseError, ServiceResponseError, _ReadOnlyViolation) as err:
        failed = _failed(lookup_id, read.api_version, err, DELETED_VAULT_PERMISSION)
        if failed.status == "not_found":
            return lambda state: state.deleted_vaults.__setitem__(read.name.lower(), None)
        return lambda state: state.resources.__setitem__(lookup_id.lower(), failed)
    properties = body.get("properties") or {}
    vault = DeletedVault(
        name=str(body.get("id") or lookup_id).rstrip("/").rsplit("/", 1)[-1],  # the spec's example `name` is unreliable
        location=str(properties.get("location") or read.location),
        vault_id=str(properties.get("vaultId") or ""),
        deletion_date=properties.get("deletionDate"),
        scheduled_purge_date=properties.get("scheduledPurgeDate"),
        purge_protection_enabled=properties.get("purgeProtectionEnabled"),
    )
    return lambda state: state.deleted_vaults.__setitem__(read.name.lower(), vault)


def _check_name(reader: AzureReader, check: NameCheck) -> Outcome:
    lookup_id = name_check_lookup_id(reader.plan.subscription_id, check.name)
    try:
        body = reader.vaults(check.api_version).vaults.check_name_availability(
            {"name": check.name, "type": "Microsoft.KeyVault/vaults"}, cls=_raw_json
        )
    except (HttpResponseError, ServiceResponseError, _ReadOnlyViolation) as err:
        failed = _failed(lookup_id, check.api_version, err, NAME_CHECK_PERMISSION)
        return lambda state: state.resources.__setitem__(lookup_id.lower(), failed)
    answer = NameAvailability(check.name, bool(body.get("nameAvailable")), body.get("reason"), body.get("message"))
    return lambda state: state.vault_names.__setitem__(check.name.lower(), answer)


def _list_group(reader: AzureReader) -> Outcome:
    plan = reader.plan
    listing_id = group_listing_id(plan.subscription_id, plan.resource_group)
    try:
        items = [
            {"id": item.get("id"), "type": item.get("type"), "name": item.get("name")}
            for item in reader.resources.resources.list_by_resource_group(plan.resource_group)
        ]
    except (HttpResponseError, ServiceResponseError, _ReadOnlyViolation) as err:
        failed = _failed(listing_id, LISTING_API_VERSION, err, GROUP_LISTING_PERMISSION)

        def record_failure(state: LiveState) -> None:
            state.group_listing = failed
            state.group_resources = None

        return record_failure

    def record(state: LiveState) -> None:
        state.group_listing = LiveResource(listing_id, LISTING_API_VERSION, "found")
        state.group_resources = items

    return record


class AzureSession:
    """One sign-in and one set of clients for a run: `read_group` first (the group's real location
    feeds the expansion), then `read` the plan. Use as a context manager."""

    def __init__(self, subscription_id: str, target: AzureTarget) -> None:
        if target.cloud not in CLOUDS:
            raise StateError(f"unknown cloud {target.cloud!r}; one of {', '.join(CLOUDS)}")
        self.reader = AzureReader(ReadPlan(subscription_id, ""), target)
        self.target = target

    def __enter__(self) -> AzureSession:  # noqa: PYI034 (3.10 has no typing.Self)
        self._guard(self.reader.sign_in)
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.close()

    def _guard(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ServiceRequestError as err:
            raise StateError(f"cannot reach Azure Resource Manager at {self.reader.endpoint}: {_first_line(err)}") from None
        except _ReadOnlyViolation as err:
            raise StateError(str(err)) from None

    def read_group(self, resource_group: str) -> LiveResource:
        """GET the resource group (its location is what `resourceGroup().location` returns)."""
        group_id = f"/subscriptions/{self.reader.plan.subscription_id}/resourceGroups/{resource_group}"
        read = ResourceRead(group_id, LISTING_API_VERSION, "Microsoft.Resources/subscriptions/resourceGroups")
        group: LiveResource = self._guard(lambda: _read_resource(self.reader, read, redact=False))
        return group

    def read(self, plan: ReadPlan) -> LiveState:
        """Read every lookup of `plan` (concurrently, each once) into a `LiveState`."""
        self.reader.plan = plan
        state = LiveState(
            plan.subscription_id,
            plan.resource_group,
            captured_at=datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            source="azure",
        )
        reader = self.reader
        tasks: list[Callable[[], Outcome]] = [
            *[lambda r=read: _record(_read_resource(reader, r)) for read in plan.resources],
            *[lambda r=read: _read_deleted_vault(reader, r) for read in plan.deleted_vaults],
            *[lambda c=check: _check_name(reader, c) for check in plan.name_checks],
            *([lambda: _list_group(reader)] if plan.list_group else []),
        ]

        def run_all() -> list[Outcome]:
            with ThreadPoolExecutor(max_workers=max(1, self.target.workers), thread_name_prefix="arm-read") as pool:
                futures = [pool.submit(task) for task in tasks]
                _, pending = wait(futures, return_when=FIRST_EXCEPTION)
                for future in pending:
                    future.cancel()  # a fatal error (sign-in, network): stop what has not started
                return [future.result() for future in futures]

        for outcome in self._guard(run_all):
            outcome(state)
        return state


def _record(lookup: LiveResource) -> Outcome:
    return lambda state: state.resources.__setitem__(lookup.id.lower().rstrip("/"), lookup)
