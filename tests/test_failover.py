"""Automatic Redis failover: the option's props, files and objects (guestbook.constructs.failover,
guestbook.constructs.sentinel). The processes themselves run in tests/test_failover_processes.py."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import cdk8s
import pytest

from guestbook import Guestbook, GuestbookProps
from guestbook.environments import load_environments
from guestbook.errors import GuestbookError
from tests.conftest import FIXTURES, ROOT, by_kind_name, cdk8s_app


def _synth(props: GuestbookProps, namespace: str = "shop") -> dict[tuple[str, str], dict[str, Any]]:
    chart = cdk8s.Chart(cdk8s_app(), "chart", namespace=namespace)
    Guestbook(chart, "gb", props=props)
    return by_kind_name(list(cdk8s.Testing.synth(chart)))


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def test_off_by_default_renders_no_failover_objects() -> None:
    # Given the guestbook's defaults
    objects = _synth(GuestbookProps())
    # Then there is no Sentinel or proxy, and redis-leader selects the leader pod
    assert not {name for _, name in objects} & {"redis-sentinel", "redis-leader-proxy"}
    assert objects[("Service", "redis-leader")]["spec"]["selector"]["role"] == "leader"


def test_on_puts_haproxy_behind_redis_leader_and_sentinel_beside_the_redis_pods() -> None:
    # Given the option on, with three followers
    props = GuestbookProps.model_validate(
        {"redis": {"followers": {"replicas": 3}, "highAvailability": {"enabled": True}}}
    )
    # When rendered into namespace shop
    objects = _synth(props)
    # Then redis-leader selects the HAProxy pods, and Sentinel runs 3 pods
    proxy = objects[("Deployment", "redis-leader-proxy")]
    proxy_labels = proxy["spec"]["template"]["metadata"]["labels"]
    selector = objects[("Service", "redis-leader")]["spec"]["selector"]
    assert selector.items() <= proxy_labels.items()
    assert objects[("Deployment", "redis-sentinel")]["spec"]["replicas"] == 3
    # And HAProxy checks every Redis pod (leader and 3 followers) by the headless Service
    files = objects[("ConfigMap", "redis-failover")]["data"]
    assert "server-template node 4 redis-nodes.shop.svc.cluster.local:6379" in files["haproxy.cfg"]
    assert "tcp-check expect string role:master" in files["haproxy.cfg"]
    assert objects[("Service", "redis-nodes")]["spec"]["clusterIP"] == "None"
    # And Sentinel first finds the master at the leader pod's own Service, with quorum 2
    assert "sentinel monitor guestbook redis-leader-node 6379 2" in files["sentinel.conf"]
    leader_node = objects[("Service", "redis-leader-node")]["spec"]["selector"]
    assert leader_node["role"] == "leader"


def test_followers_keep_their_image_and_announce_their_own_address() -> None:
    # Given the option on
    objects = _synth(
        GuestbookProps.model_validate({"redis": {"highAvailability": {"enabled": True}}})
    )
    follower = _container(objects[("Deployment", "redis-follower")])
    # Then the follower still replicates from redis-leader (now the proxy), announcing its
    # pod address so that Sentinel reaches it directly
    assert follower["image"].endswith("gb-redis-follower:v2")
    assert follower["args"][:4] == ["redis-server", "--replicaof", "redis-leader", "6379"]
    assert follower["args"][4:] == ["--replica-announce-ip", "$(POD_IP)"]
    assert follower["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"


def test_leader_starts_as_a_replica_when_redis_leader_already_has_a_master() -> None:
    # Given the option on, with persistence
    objects = _synth(
        GuestbookProps.model_validate(
            {
                "redis": {
                    "leader": {"persistence": {"enabled": True}},
                    "highAvailability": {"enabled": True},
                }
            }
        )
    )
    leader = _container(objects[("Deployment", "redis-leader")])
    # Then it starts through the start script, passing its persistence flags on
    assert leader["command"][:2] == ["sh", "-c"]
    assert "--replicaof redis-leader 6379" in leader["command"][2]
    assert leader["args"] == ["--appendonly", "yes"]


def test_quorum_above_the_sentinels_is_refused_at_its_line(tmp_path: Path) -> None:
    # Given an overlay asking for a quorum of 4 of 3 Sentinels
    envs = tmp_path / "environments"
    envs.mkdir()
    shutil.copy(FIXTURES / "overlays" / "quorum_above_sentinels.yaml", envs / "dev.yaml")
    # When it is loaded, Then the error names the file, the key and both numbers
    with pytest.raises(
        GuestbookError,
        match=r"dev.yaml:2: redis.highAvailability: .*quorum \(4\) must not exceed sentinels \(3\)",
    ):
        load_environments(envs)


def test_staging_turns_it_on_with_the_defaults() -> None:
    # Given the committed environments, When staging is loaded
    [env] = load_environments(ROOT / "environments", ["staging"])
    # Then failover is on with 3 Sentinels, quorum 2 and 2 HAProxy pods
    ha = env.props.redis.high_availability
    assert (ha.enabled, ha.sentinels, ha.quorum, ha.proxy_replicas) == (True, 3, 2, 2)
