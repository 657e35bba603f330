"""The web app's access policy as plain functions: hosts, origins, admin checks, the throttle."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from bot import Settings
from bot.access import (
    Gate,
    HostNotAllowed,
    PasswordThrottle,
    TooManyAttempts,
    allowed_hosts,
    check_request_origin,
    client_key,
    parse_host,
)
from bot.errors import ConfigError
from bot.uploads import AccessDenied


def request(host: str, origin: str | None = None, client: str = "127.0.0.1") -> SimpleNamespace:
    """A request as the checks see it: lower-case headers and a client address."""
    headers = {"host": host} | ({"origin": origin} if origin is not None else {})
    return SimpleNamespace(headers=headers, client=SimpleNamespace(host=client))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_parse_host_reads_names_ports_and_ipv6() -> None:
    assert parse_host("127.0.0.1:7860") == ("127.0.0.1", 7860)
    assert parse_host("[::1]:7860") == ("::1", 7860)
    assert parse_host("Bot.Example.org.") == ("bot.example.org", None)
    for bad in ("", "evil.example@127.0.0.1", "a b", "host:port", "127.0.0.1:7860/x"):
        assert parse_host(bad) is None


def test_allowed_hosts_follow_the_bind_address_unless_listed() -> None:
    assert allowed_hosts(Settings(host="127.0.0.1")) == {"127.0.0.1"}
    assert allowed_hosts(Settings(host="10.0.0.5")) == {"10.0.0.5"}
    assert allowed_hosts(Settings(host="0.0.0.0")) is None  # reachable by unknown names
    assert allowed_hosts(Settings(host="::")) is None
    listed = Settings(host="0.0.0.0", allowed_hosts=" Bot.Example.org , [fd00::5] ")
    assert allowed_hosts(listed) == {"bot.example.org", "fd00::5"}
    assert allowed_hosts(Settings(allowed_hosts="*")) is None


def test_loopback_app_answers_only_to_loopback_host_names() -> None:
    settings = Settings(host="127.0.0.1", port=7860)
    for host in ("127.0.0.1:7860", "localhost:7860", "LOCALHOST", "[::1]:7860", "127.0.1.1:80"):
        check_request_origin(settings, {"host": host})
    for host in ("evil.example", "evil.example:7860", "10.0.0.5:7860", "", "a@127.0.0.1"):
        with pytest.raises(HostNotAllowed, match="does not answer to the host name"):
            check_request_origin(settings, {"host": host})
    with pytest.raises(HostNotAllowed, match="BOT_ALLOWED_HOSTS"):
        check_request_origin(settings, {})


def test_origin_must_be_the_site_named_by_host() -> None:
    settings = Settings(host="127.0.0.1")
    ok = [("127.0.0.1:7860", "http://127.0.0.1:7860"), ("localhost:7860", "http://localhost:7860"),
          ("[::1]:7860", "http://[::1]:7860"), ("localhost", "http://localhost")]
    for host, origin in ok:
        check_request_origin(settings, {"host": host, "origin": origin})
    refused = [("127.0.0.1:7860", "http://evil.example"),
               ("127.0.0.1:7860", "http://evil.example:7860"),
               ("localhost:7860", "http://localhost:3000"),  # another local site
               ("localhost:7860", "http://127.0.0.1:7860"),  # another name is another site
               ("localhost:7860", "null"), ("localhost:7860", "file://"),
               ("localhost:7860", "http://localhost:99999")]
    for host, origin in refused:
        with pytest.raises(HostNotAllowed, match="refused: use the app's own page"):
            check_request_origin(settings, {"host": host, "origin": origin})
    public = Settings(host="0.0.0.0", admin_password="pw")
    check_request_origin(public, {"host": "bot.example.org", "origin": "https://bot.example.org"})
    check_request_origin(public, {"host": "bot.example.org:443",
                                  "origin": "https://bot.example.org"})
    with pytest.raises(HostNotAllowed):
        check_request_origin(public, {"host": "bot.example.org",
                                      "origin": "https://evil.example"})


def test_client_key_counts_an_ipv6_64_as_one_address() -> None:
    assert client_key(request("h", client="10.1.2.3")) == "10.1.2.3"
    assert client_key(request("h", client="2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert client_key(request("h", client="2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"
    assert client_key(request("h", client="::ffff:10.1.2.3")) == "10.1.2.3"
    assert client_key(None) == "this process"


def test_throttle_waits_double_up_to_the_cap_and_a_right_password_forgets() -> None:
    clock = Clock()
    throttle = PasswordThrottle(attempts=3, lockout=10, clock=clock)
    for _ in range(3):
        throttle.check("a")
        throttle.failed("a")
    with pytest.raises(TooManyAttempts, match="try again in 10 s"):
        throttle.check("a")
    throttle.check("b")  # other addresses are not affected
    waits, wait = [], 10
    for _ in range(9):
        clock.now += wait  # just past the wait: not long enough to forget the failures
        throttle.check("a")
        throttle.failed("a")
        with pytest.raises(TooManyAttempts) as refused:
            throttle.check("a")
        wait = int(re.search(r"in (\d+) s", str(refused.value))[1])
        waits.append(wait)
    assert waits == [20, 40, 80, 160, 320, 640, 640, 640, 640]
    throttle.succeeded("a")
    throttle.check("a")


def test_throttle_forgets_old_failures_and_can_be_switched_off() -> None:
    clock = Clock()
    throttle = PasswordThrottle(attempts=2, lockout=1, clock=clock)
    throttle.failed("a")
    clock.now += 65  # longer than the longest wait (64 s)
    throttle.failed("a")  # the first failure is forgotten: still one to go
    throttle.check("a")
    unlimited = PasswordThrottle(attempts=0, lockout=1, clock=clock)
    for _ in range(100):
        unlimited.failed("a")
    unlimited.check("a")
    with pytest.raises(ConfigError, match="BOT_PASSWORD_ATTEMPTS"):
        PasswordThrottle(attempts=-1, lockout=1)


def test_admin_without_password_needs_a_loopback_host_and_client() -> None:
    gate = Gate(Settings(host="127.0.0.1", port=7860))
    gate.check_admin("", request("127.0.0.1:7860"))
    gate.check_admin("", request("localhost:7860", origin="http://localhost:7860"))
    gate.check_admin("", None)  # an in-process call
    with pytest.raises(HostNotAllowed, match="open only on this machine"):
        gate.check_admin("", request("127.0.0.1:7860", client="10.0.0.7"))  # e.g. a proxy
    open_hosts = Gate(Settings(host="127.0.0.1", allowed_hosts="bot.lan"))
    open_hosts.check_public(request("bot.lan"))  # the chat may answer to bot.lan
    with pytest.raises(HostNotAllowed, match="set BOT_ADMIN_PASSWORD"):
        open_hosts.check_admin("", request("bot.lan"))  # the admin may not, without password
    with pytest.raises(HostNotAllowed):
        gate.check_admin("", request("evil.example:7860"))
    public = Gate(Settings(host="0.0.0.0"))
    with pytest.raises(AccessDenied, match="listens on 0.0.0.0 without a password"):
        public.check_admin("", request("127.0.0.1:7860"))


def test_admin_with_password_counts_wrong_passwords_per_client() -> None:
    gate = Gate(Settings(host="0.0.0.0", admin_password="open sesame", password_attempts=2,
                         password_lockout=60))
    remote = request("bot.example.org", client="203.0.113.9")
    gate.check_admin("open sesame", remote)
    for _ in range(5):  # an empty password is refused, not counted
        with pytest.raises(AccessDenied, match="wrong or missing"):
            gate.check_admin("", remote)
    for _ in range(2):
        with pytest.raises(AccessDenied, match="wrong or missing"):
            gate.check_admin("guess", remote)
    with pytest.raises(TooManyAttempts, match="from 203.0.113.9: try again in 60 s"):
        gate.check_admin("open sesame", remote)  # refused even with the right password
    gate.check_admin("open sesame", request("bot.example.org", client="198.51.100.4"))
    with pytest.raises(HostNotAllowed):
        gate.check_admin("open sesame", request("bot.example.org", origin="http://evil.example",
                                                client="198.51.100.4"))
