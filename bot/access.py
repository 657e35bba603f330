"""Who may do what in the web app, and from where: its security model.

Anyone who can reach the app may ask questions (the chat, ``/ask``, ``/compare``) and rate
answers (the thumbs, comments, ``/feedback``). The admin actions (listing, uploading and
removing documents, updating or rebuilding the index, reading the insights) need:

* **with BOT_ADMIN_PASSWORD set**: the password. After BOT_PASSWORD_ATTEMPTS wrong passwords
  from one client address (an IPv6 /64 counts as one address), that address is refused at once,
  right password or not, for BOT_PASSWORD_LOCKOUT seconds; each further wrong password doubles
  the wait, up to 64 times (30 s → 32 min). A right password, or that longest wait without a
  wrong one, forgets the failures. An empty password is refused without counting. Behind a
  reverse proxy all clients share the proxy's address, and so its count.
* **without a password**: a request from this machine. The app listens on a loopback address
  (BOT_HOST), the client address is loopback, and the Host header names a loopback host
  (``localhost``, ``127.x.x.x``, ``[::1]``, any port). Otherwise admin actions are refused.

Every request, public or admin, must name an allowed host in its Host header and, when it
carries an Origin header, come from that same origin (scheme, host and port). Allowed are the
loopback names plus the names in BOT_ALLOWED_HOSTS or, when that is empty, BOT_HOST (any name
when BOT_HOST is ``0.0.0.0`` or ``::``; ``*`` in BOT_ALLOWED_HOSTS also allows any). This stops
DNS rebinding (a page of ``evil.example`` whose name now points at 127.0.0.1 sends
``Host: evil.example``) and requests that other sites' pages, or pages on other ports of this
machine, send to the app. A reverse proxy must pass the Host header on as the browser sent it
(nginx: ``proxy_set_header Host $http_host``).

The rules hold twice: ``HostGuard``, a middleware of the whole app, refuses a request with a 403
before Gradio reads it, and the handlers check their ``gr.Request`` again through ``Gate``, which
also keeps the password throttle. A handler called in-process (no request) skips the HTTP checks.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse

from .config import Settings
from .errors import ConfigError
from .uploads import AccessDenied, check_access, is_loopback

#: Bind addresses that listen on every interface: the names users reach them by are unknown.
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
#: The longest lockout is BOT_PASSWORD_LOCKOUT doubled this many times.
MAX_DOUBLINGS = 6
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?")


class HostNotAllowed(AccessDenied):
    """A request names a host, or comes from a page, that the app does not serve."""


class TooManyAttempts(AccessDenied):
    """A client address entered too many wrong admin passwords and has to wait."""


class RequestInfo(Protocol):
    """What the checks read of a request (``gr.Request`` and Starlette's ``Request`` fit)."""

    headers: Mapping[str, str]
    client: Any


def parse_host(value: str) -> tuple[str, int | None] | None:
    """(name, port) of a Host header such as ``[::1]:7860``; None when it is malformed."""
    match = _HOST.fullmatch(value.strip())
    if match is None:
        return None
    name = match[1].strip("[]").rstrip(".").lower()
    return (name, int(match[2]) if match[2] else None) if name else None


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """Host names the app answers to besides loopback ones (see the module); None: any."""
    names = [n.strip().strip("[]").rstrip(".").lower()
             for n in settings.allowed_hosts.split(",") if n.strip()]
    if "*" in names:
        return None
    if not names:
        bind = settings.host.strip().strip("[]").lower()
        if bind in WILDCARD_BINDS:
            return None
        names = [bind]
    return frozenset(names)


def same_origin(origin: str, host: tuple[str, int | None]) -> bool:
    """Whether the Origin header ``origin`` is the site named by the parsed Host ``host``."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return False  # also "null": sandboxed frames and local files
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return False
    name, host_port = host
    return (parts.hostname.rstrip(".").lower() == name
            and port == (host_port or DEFAULT_PORTS[parts.scheme]))


def check_request_origin(settings: Settings, headers: Mapping[str, str]) -> None:
    """Raise ``HostNotAllowed`` unless the Host header names an allowed host and the Origin
    header, when present, is that same site. ``headers`` has lower-case keys (or ignores case).
    """
    raw = headers.get("host") or ""
    host = parse_host(raw)
    allowed = allowed_hosts(settings)
    if host is None or not (is_loopback(host[0]) or allowed is None or host[0] in allowed):
        raise HostNotAllowed(
            f"this app does not answer to the host name {raw!r}: open it at "
            f"http://127.0.0.1:{settings.port}/, or add the name to BOT_ALLOWED_HOSTS")
    origin = headers.get("origin")
    if origin is not None and not same_origin(origin, host):
        raise HostNotAllowed(f"requests sent by pages of {origin!r} are refused: use the "
                             f"app's own page at {raw}")


def client_key(request: RequestInfo | None) -> str:
    """The address a password throttle counts for ``request``: an IPv6 /64 counts as one."""
    host = getattr(getattr(request, "client", None), "host", None)
    if not host:
        return "this process"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(getattr(address, "ipv4_mapped", None) or address)


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    until: float = 0.0


class PasswordThrottle:
    """Wrong admin passwords per client address and the waits they earn (see the module)."""

    def __init__(self, attempts: int, lockout: float, clock: Callable[[], float] = time.monotonic):
        if attempts < 0 or lockout <= 0:
            raise ConfigError("BOT_PASSWORD_ATTEMPTS must be 0 (no limit) or more, and "
                              "BOT_PASSWORD_LOCKOUT more than 0 seconds")
        self.attempts, self.lockout, self.clock = attempts, lockout, clock
        self.forget_after = lockout * 2 ** MAX_DOUBLINGS
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise ``TooManyAttempts`` while ``client`` has to wait."""
        with self._lock:
            record = self._failures.get(client)
            wait = record.until - self.clock() if record else 0.0
        if wait > 0:
            raise TooManyAttempts(f"too many wrong admin passwords from {client}: try again in "
                                  f"{math.ceil(wait)} s")

    def failed(self, client: str) -> None:
        """Count a wrong password of ``client``; from the limit on, make it wait."""
        if not self.attempts:
            return
        now = self.clock()
        with self._lock:
            for key in [k for k, r in self._failures.items() if now - r.last > self.forget_after]:
                del self._failures[key]
            record = self._failures.setdefault(client, _Failures())
            record.count += 1
            record.last = now
            over = record.count - self.attempts
            if over >= 0:
                record.until = now + self.lockout * 2 ** min(over, MAX_DOUBLINGS)

    def succeeded(self, client: str) -> None:
        """Forget the failures of ``client`` after a right password."""
        with self._lock:
            self._failures.pop(client, None)


class Gate:
    """The access checks of one web app (their state: the password throttle)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.throttle = PasswordThrottle(settings.password_attempts, settings.password_lockout)

    def check_public(self, request: RequestInfo | None) -> None:
        """Refuse a request to a public endpoint that changes something (e.g. feedback) when
        it names another host or comes from another site's page."""
        if request is not None:
            check_request_origin(self.settings, request.headers)

    def check_admin(self, password: str | None, request: RequestInfo | None) -> None:
        """Raise ``AccessDenied`` (or a subclass) unless ``request`` may use the admin actions
        with ``password``; counts wrong passwords per client address."""
        s = self.settings
        self.check_public(request)
        if not s.admin_password:
            self._check_local(request)
            check_access(s, password)
            return
        client = client_key(request)
        self.throttle.check(client)
        try:
            check_access(s, password)
        except AccessDenied:
            if password:
                self.throttle.failed(client)
            raise
        self.throttle.succeeded(client)

    def _check_local(self, request: RequestInfo | None) -> None:
        s = self.settings
        if not is_loopback(s.host):
            raise AccessDenied(f"the documents and insights are closed because the app listens "
                               f"on {s.host} without a password: set BOT_ADMIN_PASSWORD, or "
                               "listen on 127.0.0.1 (BOT_HOST)")
        if request is None:
            return
        host = parse_host(request.headers.get("host") or "")
        client = getattr(getattr(request, "client", None), "host", None) or ""
        if host is None or not is_loopback(host[0]) or not is_loopback(client):
            raise HostNotAllowed(
                "without BOT_ADMIN_PASSWORD the documents and insights are open only on this "
                f"machine, at http://127.0.0.1:{s.port}/: open them there, or set "
                "BOT_ADMIN_PASSWORD")


class HostGuard:
    """ASGI middleware: answer 403 to every HTTP request ``check_request_origin`` refuses."""

    def __init__(self, app: Any, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            try:
                check_request_origin(self.settings, Headers(scope=scope))
            except HostNotAllowed as exc:
                await PlainTextResponse(str(exc), status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
