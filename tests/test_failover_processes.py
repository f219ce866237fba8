"""Automatic Redis failover with the real processes: Debian's ``redis-server``,
``redis-sentinel`` and ``haproxy``, with ``dnsmasq`` as the cluster DNS, on loopback.

They run the files the option renders (the ``redis-failover`` ConfigMap, the leader's
start script and the followers' arguments), read from ``dist/staging/``, the environment
with ``redis.highAvailability`` on. Only addresses are substituted, as a pod would see them:

- each Redis pod gets its own loopback address (127.0.0.2 for the leader, then the
  followers), all on one free port that stands for 6379 (``POD_IP``, ``--bind``, ``--port``);
- ``redis-leader`` (the Service in front of HAProxy) is 127.0.0.10 on that port, and
  HAProxy's ``bind :6379`` becomes ``bind 127.0.0.10:<port>``;
- ``redis-leader-node`` (the leader pod's Service) is 127.0.0.2;
- ``redis-nodes.<namespace>.svc.<domain>`` is answered by dnsmasq with the Redis pods'
  addresses, and HAProxy's ``parse-resolv-conf`` becomes ``nameserver dns 127.0.0.1:<port>``;
- Sentinel's ``port 26379`` becomes a free port per Sentinel (each pod has its own IP).

Bound: the leader is lost after ``down-after-milliseconds`` (5 s); Sentinel elects and
promotes within about 2 s more, and HAProxy admits the new master at its next check (1 s):
6-7 s measured. A split vote among the Sentinels retries after twice ``failover-timeout``
(2 x 10 s), so the test allows 35 s (:data:`FAILOVER_BOUND`); it prints the time it
measured. It kills the leader only once every Sentinel knows both followers
(:meth:`Loopback.settled`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from guestbook.constructs.failover import CONFIG_MAP, HAPROXY_CFG, MASTER_NAME, SENTINEL_CONF
from tests.conftest import ROOT, by_kind_name

TOOLS = ("redis-server", "redis-sentinel", "redis-cli", "haproxy", "dnsmasq")
FAILOVER_BOUND = 35.0
"""Seconds from killing the leader until writes through redis-leader succeed again."""
SETTLE_BOUND = 30.0
"""Seconds for replication, Sentinel discovery and HAProxy checks to settle at start."""
PROXY = "127.0.0.10"
LEADER = "127.0.0.2"
FOLLOWERS = ("127.0.0.3", "127.0.0.4")

T = TypeVar("T")


@dataclass(frozen=True)
class Rendered:
    """The files and commands the option renders for one environment."""

    namespace: str
    files: dict[str, str]
    leader_command: list[str]
    leader_args: list[str]
    follower_args: list[str]


DIST = ROOT / "dist" / "staging"
"""The committed environment with failover on."""


def _rendered() -> Rendered:
    manifests = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in DIST.glob("*.yaml")]
    return _from(manifests)


def _from(manifests: list[dict[str, Any]]) -> Rendered:
    objects = by_kind_name(manifests)
    config = objects[("ConfigMap", CONFIG_MAP)]
    leader = objects[("Deployment", "redis-leader")]["spec"]["template"]["spec"]["containers"][0]
    follower = objects[("Deployment", "redis-follower")]["spec"]["template"]["spec"]
    return Rendered(
        namespace=config["metadata"]["namespace"],
        files=config["data"],
        leader_command=leader["command"],
        leader_args=leader.get("args", []),
        follower_args=follower["containers"][0]["args"],
    )


# --- a minimal RESP client (the Redis protocol), so the test needs no client library ----


class Redis:
    """One connection to a Redis (or Sentinel or HAProxy) address."""

    def __init__(self, host: str, port: int, timeout: float = 2.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __call__(self, *args: str | int) -> Any:
        parts = [str(a).encode() for a in args]
        payload = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        self.sock.sendall(payload)
        return self._reply()

    def _reply(self) -> Any:
        line = self.file.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.file.read(size + 2)[:-2]
            return data.decode()
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        raise RuntimeError(f"unexpected reply {line!r}")


def command(host: str, port: int, *args: str | int) -> Any:
    """One command on a fresh connection."""
    client = Redis(host, port)
    try:
        return client(*args)
    finally:
        client.close()


def until(what: str, bound: float, probe: Callable[[], T | None]) -> T:
    """Poll ``probe`` every 0.1 s until it returns a value; fail after ``bound`` seconds."""
    deadline = time.monotonic() + bound
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, RuntimeError) as err:
            last, value = err, None
        if value is not None and value is not False:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what}: not within {bound} s (last error: {last})")


# --- processes -----------------------------------------------------------------------


def free_port(*hosts: str, kind: int = socket.SOCK_STREAM) -> int:
    """A port free on every one of ``hosts``."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind((hosts[0], 0))
            port: int = probe.getsockname()[1]
        try:
            for host in hosts:
                with socket.socket(socket.AF_INET, kind) as other:
                    other.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")


class Processes:
    """Started processes, each stopped (and waited for) at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
        log.close()

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.running.clear()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted(self.folder.glob("*.log"))
        )


def _which(tool: str) -> str | None:
    """Where ``tool`` is; /usr/sbin too (dnsmasq), which a user's PATH may leave out."""
    return shutil.which(tool, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    missing = [tool for tool in TOOLS if _which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: `make test` installs Debian's redis-server, "
            "redis-sentinel, haproxy and dnsmasq-base"
        )
    running = Processes(tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def _sub(text: str, pattern: str, replacement: str) -> str:
    changed, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count, f"{pattern!r} is not in the rendered file any more"
    return changed


class Loopback:
    """The rendered failover set on loopback: Redis pods, HAProxy, Sentinels and the DNS."""

    def __init__(self, processes: Processes, folder: Path) -> None:
        self.processes, self.folder = processes, folder
        self.rendered = _rendered()
        self.port = free_port(PROXY, LEADER, *FOLLOWERS)
        """The one port that stands for 6379."""
        self.sentinel_ports: list[int] = []
        self.leader_argv = self._leader_argv()

    def _leader_argv(self) -> list[str]:
        command = self.rendered.leader_command
        script = _sub(command[2], r"\bredis-leader\b", PROXY)
        script = _sub(script, r"\b6379\b", str(self.port))
        return ["sh", "-c", script, command[3], *self.rendered.leader_args]

    def _node(self, address: str, argv: list[str]) -> list[str]:
        """A Redis pod's command: rendered names swapped for addresses, then its own address."""
        data = self.folder / address
        data.mkdir(exist_ok=True)
        names = {"redis-leader": PROXY, "6379": str(self.port), "$(POD_IP)": address}
        swapped = [names.get(a, a) for a in argv]
        return [*swapped, "--bind", address, "--port", str(self.port), "--dir", str(data)]

    def start_leader(self) -> None:
        self.processes.start(
            "leader", self._node(LEADER, self.leader_argv), env={**os.environ, "POD_IP": LEADER}
        )

    def start_dns(self) -> int:
        """dnsmasq answering the headless Service's name with every Redis pod's address."""
        found = re.search(r"server-template \S+ \d+ ([^:\s]+):", self.rendered.files[HAPROXY_CFG])
        assert found, "haproxy.cfg lists no server-template"
        assert found.group(1).startswith(f"redis-nodes.{self.rendered.namespace}.svc.")
        hosts = self.folder / "hosts"
        hosts.write_text("".join(f"{ip} {found.group(1)}\n" for ip in (LEADER, *FOLLOWERS)))
        port = free_port("127.0.0.1", kind=socket.SOCK_DGRAM)
        options = ["--keep-in-foreground", "--no-resolv", "--no-hosts", "--user=root"]
        options += [f"--addn-hosts={hosts}", "--listen-address=127.0.0.1", "--bind-interfaces"]
        self.processes.start("dnsmasq", [str(_which("dnsmasq")), *options, f"--port={port}"])
        return port

    def start_haproxy(self, dns_port: int) -> None:
        config = self.rendered.files[HAPROXY_CFG]
        config = _sub(config, r"^  parse-resolv-conf$", f"  nameserver dns 127.0.0.1:{dns_port}")
        config = _sub(config, r"^  bind :6379$", f"  bind {PROXY}:{self.port}")
        config = _sub(config, r":6379 ", f":{self.port} ")
        (self.folder / HAPROXY_CFG).write_text(config)
        self.processes.start("haproxy", ["haproxy", "-db", "-f", str(self.folder / HAPROXY_CFG)])

    def start_sentinels(self, count: int) -> None:
        for index in range(count):
            port = free_port("127.0.0.1")
            conf = _sub(self.rendered.files[SENTINEL_CONF], r"^port 26379$", f"port {port}")
            conf = _sub(conf, r"\bredis-leader-node 6379\b", f"{LEADER} {self.port}")
            path = self.folder / f"sentinel-{index}.conf"  # Sentinel rewrites it, as in /data
            path.write_text(conf)
            self.processes.start(f"sentinel-{index}", ["redis-sentinel", str(path)])
            self.sentinel_ports.append(port)

    def start(self) -> None:
        """Everything, in the order Argo CD's waves and the pods' start-up would give."""
        dns_port = self.start_dns()
        self.start_leader()
        until("the leader answers", SETTLE_BOUND, lambda: self.redis(LEADER, "PING") == "PONG")
        self.start_haproxy(dns_port)
        for index, address in enumerate(FOLLOWERS):
            argv = self._node(address, self.rendered.follower_args)
            self.processes.start(f"follower-{index}", argv)
        self.start_sentinels(3)

    def redis(self, host: str, *args: str | int) -> Any:
        return command(host, self.port, *args)

    def sentinel(self, *args: str, index: int = 0) -> Any:
        return command("127.0.0.1", self.sentinel_ports[index], "SENTINEL", *args)

    def masters(self) -> set[str]:
        """The master's address according to each Sentinel."""
        return {
            self.sentinel("get-master-addr-by-name", MASTER_NAME, index=i)[0]
            for i in range(len(self.sentinel_ports))
        }

    def settled(self) -> bool:
        """redis-leader reaches the leader, both followers replicate, and every Sentinel
        knows both followers and the other Sentinels.

        Every Sentinel, not one: a Sentinel learns the replicas only from the master's INFO
        (every 10 s), so one that has not yet read it, if elected, aborts the failover
        (``-failover-abort-no-good-slave``) and, the master being gone, never learns them.
        """
        return (
            self.redis(PROXY, "ROLE")[0] == "master"
            and self.redis(LEADER, "INFO", "replication").count("state=online") == 2
            and all(
                len(self.sentinel("replicas", MASTER_NAME, index=i)) == 2
                and len(self.sentinel("sentinels", MASTER_NAME, index=i)) == 2
                for i in range(len(self.sentinel_ports))
            )
        )


def test_sentinel_promotes_a_follower_and_redis_leader_follows_it(
    processes: Processes, tmp_path: Path
) -> None:
    try:
        _failover(Loopback(processes, tmp_path))
    except BaseException:
        print(processes.logs())  # what each process said, to see why
        raise


def _failover(pods: Loopback) -> None:
    # Given the rendered set running, with addresses substituted as the module docstring lists
    pods.start()
    until("everything finds everything", SETTLE_BOUND, pods.settled)
    known = {entry[3] for entry in pods.sentinel("replicas", MASTER_NAME)}
    assert known == set(FOLLOWERS), "Sentinel must know the followers at their own addresses"

    # When 100 writes are acknowledged by at least one replica (WAIT), then the leader dies
    client = Redis(PROXY, pods.port)
    for number in range(100):
        client("SET", f"entry:{number}", f"message {number}")
    assert client("WAIT", 1, 5000) >= 1
    client.close()
    pods.processes.kill("leader")
    killed = time.monotonic()

    # Then writes through the same redis-leader succeed again, on a promoted follower
    def write() -> bool:
        return bool(pods.redis(PROXY, "SET", "after-failover", "yes") == "OK")

    until("writes through redis-leader after the failover", FAILOVER_BOUND, write)
    failover = time.monotonic() - killed
    print(f"\nfailover: writes through redis-leader work again {failover:.1f} s after the kill")

    # (HAProxy admits the follower once it is promoted, a moment before the Sentinels
    # announce the switch; each Sentinel learns it from the one that led the failover)
    def agreed() -> set[str] | None:
        masters = pods.masters()
        return masters if len(masters) == 1 and masters <= set(FOLLOWERS) else None

    [master] = until("the Sentinels agree on a follower as master", SETTLE_BOUND, agreed)
    assert pods.redis(master, "ROLE")[0] == "master"
    # And no acknowledged write was lost
    values = [pods.redis(PROXY, "GET", f"entry:{n}") for n in range(100)]
    assert values == [f"message {n}" for n in range(100)]
    # And reads through redis-follower (both follower pods) see the new write
    for address in FOLLOWERS:
        until(
            f"{address} serves the new write",
            SETTLE_BOUND,
            lambda a=address: pods.redis(a, "GET", "after-failover") == "yes",
        )

    # When the old leader restarts, Then it comes back as a replica, with the new write
    pods.start_leader()

    def rejoined() -> bool:
        role = pods.redis(LEADER, "ROLE")
        return bool(role[0] == "slave" and role[3] == "connected")

    until("the old leader rejoins as a replica", SETTLE_BOUND, rejoined)
    assert pods.redis(LEADER, "GET", "after-failover") == "yes"
    assert pods.masters() == {master}
    assert pods.redis(PROXY, "ROLE")[0] == "master"
