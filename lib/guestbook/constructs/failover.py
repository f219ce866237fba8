"""Automatic Redis failover: the files Sentinel and HAProxy read (props: guestbook.props.failover).

Pure text, no cdk8s: the construct that ships these files (``sentinel``)
and the process test that runs them with Debian's ``redis-server``,
``redis-sentinel`` and ``haproxy`` read the same functions.

The design (see docs/production.md "Automatic Redis failover"):
- every Redis pod (leader and followers) is a candidate; a headless Service
  ``redis-nodes`` lists the ready ones;
- Sentinel (``sentinels`` pods, ``quorum``) monitors the master, first found at the
  leader's own Service ``redis-leader-node``, and promotes a replica when it is lost;
- the Service ``redis-leader`` selects HAProxy, which resolves ``redis-nodes`` and
  admits only the node whose ``INFO replication`` says ``role:master``, so the
  frontend and the followers (whose images use ``redis-leader:6379``) reach the
  master of the moment without a change;
- a Redis pod that starts while ``redis-leader`` already answers as a master starts
  as its replica, so a restarted old leader never comes back as a second master.
"""

from __future__ import annotations

from guestbook.props.failover import (
    RedisHighAvailabilityProps,
)
from guestbook.tutorial import SENTINEL_PORT

MASTER_NAME = "guestbook"
"""The name Sentinel knows the monitored master by."""
NODES_SERVICE = "redis-nodes"
"""Headless Service listing every ready Redis pod (HAProxy's server list)."""
LEADER_NODE_SERVICE = "redis-leader-node"
"""Service of the leader pod itself: where Sentinel first finds the master."""
SENTINEL_SERVICE = "redis-sentinel"
PROXY_NAME = "redis-leader-proxy"
CONFIG_MAP = "redis-failover"
SENTINEL_CONF = "sentinel.conf"
HAPROXY_CFG = "haproxy.cfg"
START_NODE = "start-node.sh"
CONFIG_PATH = "/etc/redis-failover"


def sentinel_conf(props: RedisHighAvailabilityProps, redis_port: int) -> str:
    """``sentinel.conf``: one master, first found at the leader's own Service."""
    return "\n".join(
        [
            "# Redis Sentinel (rendered by guestbook-gitops); copied to /data, which Sentinel",
            "# rewrites with what it learns.",
            f"port {SENTINEL_PORT}",
            "sentinel resolve-hostnames yes",
            f"sentinel monitor {MASTER_NAME} {LEADER_NODE_SERVICE} {redis_port} {props.quorum}",
            f"sentinel down-after-milliseconds {MASTER_NAME} {props.down_after_milliseconds}",
            f"sentinel failover-timeout {MASTER_NAME} 10000",
            f"sentinel parallel-syncs {MASTER_NAME} 1",
            "",
        ]
    )


def haproxy_cfg(
    props: RedisHighAvailabilityProps, *, namespace: str, redis_port: int, nodes: int
) -> str:
    """``haproxy.cfg``: listen on the Redis port, forward only to the node that is master."""
    fqdn = f"{NODES_SERVICE}.{namespace}.svc.{props.cluster_domain}"
    return "\n".join(
        [
            "# HAProxy in front of Redis (rendered by guestbook-gitops): admits only the node",
            "# whose INFO replication reports role:master.",
            "global",
            "  maxconn 4096",
            "defaults",
            "  mode tcp",
            "  timeout connect 2s",
            "  timeout client 1h",
            "  timeout server 1h",
            "  timeout check 2s",
            "resolvers cluster",
            "  parse-resolv-conf",
            "  hold valid 1s",
            "  hold obsolete 10s",
            "frontend redis-leader",
            f"  bind :{redis_port}",
            "  default_backend redis-master",
            "backend redis-master",
            "  option tcp-check",
            "  tcp-check connect",
            "  tcp-check send PING\\r\\n",
            "  tcp-check expect string +PONG",
            "  tcp-check send info\\ replication\\r\\n",
            "  tcp-check expect string role:master",
            "  tcp-check send QUIT\\r\\n",
            "  tcp-check expect string +OK",
            "  default-server check inter 1s fall 1 rise 1 on-marked-down shutdown-sessions"
            " resolve-prefer ipv4",
            f"  server-template node {nodes} {fqdn}:{redis_port} resolvers cluster init-addr none",
            "",
        ]
    )


def start_node_sh(leader_service: str, redis_port: int) -> str:
    """``start-node.sh``: start Redis as a replica when ``leader_service`` already has a master.

    Arguments are passed on to ``redis-server``. ``POD_IP`` is announced to the master, so
    Sentinel reaches a replica at its own address, not at the proxy it replicates through.
    """
    return "\n".join(
        [
            "#!/bin/sh",
            "# Start Redis (rendered by guestbook-gitops): as a replica when the leader Service",
            "# already answers as a master (a failover happened), else as the master.",
            "set -eu",
            f"if redis-cli -h {leader_service} -p {redis_port} role 2>/dev/null"
            " | head -n 1 | grep -qx master; then",
            f'  exec redis-server "$@" --replicaof {leader_service} {redis_port}'
            ' --replica-announce-ip "$POD_IP"',
            "fi",
            'exec redis-server "$@" --replica-announce-ip "$POD_IP"',
            "",
        ]
    )
