"""A small Azure Resource Manager emulator for the live-state tests and the benchmark.

An HTTPS server on 127.0.0.1 (threaded `http.server` + `ssl`, with a CA and server certificate
made here) that answers like the published REST API for what arm-validator reads: resources by
ID, soft-deleted vaults, vault name availability, resource-group listings. It records every
request and can inject 401, 403, 404, 429 (with Retry-After), 500 and slow answers per path.
The credential is a stand-in `az` executable (`write_fake_az`) that azure-identity's Azure CLI
credential runs.
"""
from __future__ import annotations

import datetime
import json
import os
import ssl
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "emulator-token-4f1c9e"  # what the stand-in `az` hands out; the emulator accepts only this


@dataclass
class Recorded:
    """One request the emulator received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str | None


@dataclass
class Fault:
    """What to do instead of answering, for a path: `status` (401, 403, 404, 429, 500), at most
    `times` times (None: always); `retry_after` for 429; `delay` seconds before answering;
    `action` the permission named in a 403 (None: a message that names none)."""

    status: int | None = None
    times: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    action: str | None = "derive"
    hits: int = 0


@dataclass
class Certificates:
    ca: str
    cert: str
    key: str


def make_certificates(folder: str) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "arm-validator test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(os.path.join(folder, "ca.pem"), os.path.join(folder, "server.pem"), os.path.join(folder, "server.key"))
    with open(paths.ca, "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths.cert, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths.key, "wb") as handle:
        handle.write(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    return paths


def write_fake_az(folder: str, exit_code: int = 0) -> str:
    """A stand-in `az` in `folder` answering `az account get-access-token` like the Azure CLI
    (or, with `exit_code` 1, like a CLI that is not signed in). Returns the folder for PATH."""
    expires = int(time.time()) + 3600
    answer = {
        "accessToken": TOKEN,
        "expiresOn": datetime.datetime.fromtimestamp(expires).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "expires_on": expires,
        "subscription": "11111111-2222-3333-4444-555555555555",
        "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "tokenType": "Bearer",
    }
    script = f"""#!{sys.executable}
import sys
args = sys.argv[1:]
with open({os.path.join(folder, "az-calls.log")!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if {exit_code} != 0:
    sys.stderr.write("ERROR: Please run 'az login' to setup account.\\n")
    sys.exit({exit_code})
if args[:2] != ["account", "get-access-token"]:
    sys.stderr.write("ERROR: the stand-in az only knows 'account get-access-token'\\n")
    sys.exit(2)
print({json.dumps(json.dumps(answer))})
"""
    path = os.path.join(folder, "az")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(script)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass
class Emulator:
    """The ARM emulator. Fill `resources` (by ARM ID), `deleted_vaults` ((location, name) -> body)
    and `taken_names`, `start()` it, point `--arm-endpoint` at `url`."""

    certificates: Certificates
    latency: float = 0.0  # added to every answer
    page_size: int = 2  # group listings are paged with nextLink, as ARM does
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_vaults: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    taken_names: set[str] = field(default_factory=set)
    faults: dict[str, Fault] = field(default_factory=dict)  # by lower-case path
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- set-up -------------------------------------------------------------------------------
    def add(self, body: dict[str, Any]) -> None:
        self.resources[body["id"].lower()] = body

    def fault(self, path: str, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        self.faults[path.lower()] = fault
        return fault

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Emulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                emulator._handle(self, "GET")

            def do_POST(self) -> None:
                emulator._handle(self, "POST")

            def do_PUT(self) -> None:
                emulator._handle(self, "PUT")

            def do_PATCH(self) -> None:
                emulator._handle(self, "PATCH")

            def do_DELETE(self) -> None:
                emulator._handle(self, "DELETE")

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # many concurrent connects: the default 5 drops SYNs (1 s retransmits)

        server = Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificates.cert, self.certificates.key)
        # The handshake then runs in each connection's thread, not serially in the accept loop.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- what was asked -----------------------------------------------------------------------
    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    # -- answering ----------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("latin-1")
        record = Recorded(method, parts.path, parse_qs(parts.query), body, handler.headers.get("Authorization"))
        with self._lock:
            self.requests.append(record)
            fault = self.faults.get(parts.path.lower())
            active = fault is not None and (fault.times is None or fault.hits < fault.times)
            if fault is not None and active:
                fault.hits += 1
        delay = self.latency + (fault.delay if fault is not None else 0.0)
        if delay:
            time.sleep(delay)
        status, payload, headers = self._answer(record, fault if active else None)
        data = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("x-ms-request-id", "00000000-0000-0000-0000-000000000001")
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up (a timeout test)

    def _answer(self, request: Recorded, fault: Fault | None) -> tuple[int, Any, dict[str, str]]:
        if request.authorization != f"Bearer {TOKEN}":
            return 401, _error("InvalidAuthenticationToken", "The access token is invalid."), {}
        if fault is not None and fault.status is not None:
            return self._fault(request, fault)
        path = request.path.rstrip("/")
        lower = path.lower()
        if "api-version" not in request.query:
            return 400, _error("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."), {}
        if request.method == "POST" and lower.endswith("/providers/microsoft.keyvault/checknameavailability"):
            return 200, self._name_availability(request.body), {}
        if request.method != "GET":
            return 405, _error("MethodNotAllowed", f"The emulator is read-only: {request.method} {path}"), {}
        if "/deletedvaults/" in lower:
            segments = path.split("/")
            location, name = segments[-3].lower(), segments[-1].lower()
            found = self.deleted_vaults.get((location, name))
            if found is None:
                return 404, _error("ResourceNotFound", f"The Resource 'Microsoft.KeyVault/deletedVaults/{segments[-1]}' was not found."), {}
            return 200, found, {}
        if lower.endswith("/resources") and "/resourcegroups/" in lower and "/providers/" not in lower:
            return 200, self._listing(path, request.query), {}
        found = self.resources.get(lower)
        if found is None:
            kind = "/".join(path.rsplit("/providers/", 1)[-1].split("/")[:2]) if "/providers/" in path else "resourceGroups"
            return 404, _error("ResourceNotFound", f"The Resource '{kind}/{path.rsplit('/', 1)[-1]}' was not found."), {}
        return 200, found, {}

    def _fault(self, request: Recorded, fault: Fault) -> tuple[int, Any, dict[str, str]]:
        status = fault.status or 500
        if status == 401:
            return 401, _error("ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time."), {}
        if status == 403:
            if fault.action is None:
                return 403, _error("Forbidden", "Access denied."), {}
            tail = request.path.rsplit("/providers/", 1)[-1].split("/")
            action = fault.action if fault.action != "derive" else "/".join([tail[0], *tail[1::2]]) + "/read"
            message = (
                "The client 'ci@contoso.com' with object id '99999999-8888-7777-6666-555555555555' does not have "
                f"authorization to perform action '{action}' over scope '{request.path}' or the scope is invalid. "
                "If access was recently granted, please refresh your credentials."
            )
            return 403, _error("AuthorizationFailed", message), {}
        if status == 404:
            return 404, _error("ResourceNotFound", "The Resource was not found."), {}
        if status == 409:  # what ARM says for a namespace the subscription has not registered
            namespace = request.path.rsplit("/providers/", 1)[-1].split("/")[0]
            return 409, _error("MissingSubscriptionRegistration", f"The subscription is not registered to use namespace '{namespace}'."), {}
        if status == 429:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return 429, _error("TooManyRequests", "The request is being throttled."), headers
        return status, _error("InternalServerError", "Encountered internal server error."), {}

    def _name_availability(self, body: Any) -> dict[str, Any]:
        name = str((body or {}).get("name", ""))
        existing = {b["name"].lower() for key, b in self.resources.items() if key.split("/providers/")[-1].startswith("microsoft.keyvault/vaults/")}
        if name.lower() in self.taken_names or name.lower() in existing:
            return {
                "nameAvailable": False,
                "reason": "AlreadyExists",
                "message": f"The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.",
            }
        return {"nameAvailable": True}

    def _listing(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        prefix = path.rsplit("/resources", 1)[0].lower() + "/providers/"
        items = [
            {k: body[k] for k in ("id", "name", "type", "location") if k in body}
            for key, body in sorted(self.resources.items())
            if key.startswith(prefix) and key[len(prefix):].count("/") == 2  # top-level resources only
        ]
        start = int(query.get("$skiptoken", ["0"])[0])
        page = items[start : start + self.page_size]
        out: dict[str, Any] = {"value": page}
        if start + self.page_size < len(items):
            out["nextLink"] = f"{self.url}{path}?api-version={query['api-version'][0]}&$skiptoken={start + self.page_size}"
        return out


def environment(certificates: Certificates, az_folder: str) -> dict[str, str]:
    """The environment variables for the process under test: trust the test CA, use the stand-in
    `az` only (never managed identity), and let no traffic leave 127.0.0.1."""
    dead_proxy = "http://127.0.0.1:9"  # anything not for 127.0.0.1 goes here and is refused
    return {
        "REQUESTS_CA_BUNDLE": certificates.ca,
        "AZURE_TOKEN_CREDENTIALS": "AzureCliCredential",
        "PATH": az_folder + os.pathsep + os.environ.get("PATH", ""),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "HTTPS_PROXY": dead_proxy,
        "HTTP_PROXY": dead_proxy,
        "https_proxy": dead_proxy,
        "http_proxy": dead_proxy,
    }


# Environment variables that would steer azure-identity away from the stand-in `az`.
CREDENTIAL_VARIABLES = (
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
    "SSL_CERT_FILE",
)
