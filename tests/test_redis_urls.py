"""LIVEPOLL_REDIS_URL's forms (one Redis, Sentinel, Cluster), their settings, and what a Cluster needs of the
Lua scripts. No server: the topologies themselves run in test_redis_sentinel.py and test_redis_cluster.py."""

from __future__ import annotations

from importlib import resources

import pytest

from livepoll.backends.redis_clients import topology
from livepoll.backends.redis_cluster import sharded
from livepoll.backends.redis_layout import redacted_url
from livepoll.config import ConfigError, load_settings


@pytest.mark.parametrize(
    ("url", "kind", "hosts", "service", "db"),
    [
        ("redis+sentinel://a:26379,b:26380/mymaster", "sentinel", (("a", 26379), ("b", 26380)), "mymaster", 0),
        ("redis+sentinel://:pw@a,b/mymaster/2", "sentinel", (("a", 26379), ("b", 26379)), "mymaster", 2),
        ("redis+cluster://a:7000,[::1]:7001", "cluster", (("a", 7000), ("::1", 7001)), "", 0),
        ("redis://127.0.0.1:6379/0", "single", (), "", 0),
        ("unix:///run/redis.sock?db=0", "single", (), "", 0),
    ],
)
def test_url_forms(url: str, kind: str, hosts: tuple[tuple[str, int], ...], service: str, db: int) -> None:
    found = topology(url)
    assert (found.kind, found.hosts, found.service, found.db) == (kind, hosts, service, db)


def test_cluster_setting_reads_a_redis_url_as_one_node_of_a_cluster() -> None:
    assert topology("redis://10.0.0.5:7000/0", cluster=True).hosts == (("10.0.0.5", 7000),)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"redis_url": "sentinel://a:1/m"}, "LIVEPOLL_REDIS_URL"),
        ({"redis_url": "redis+sentinel://a:1"}, "service_name"),
        ({"redis_url": "redis+cluster://a:1/3"}, "database 0"),
        ({"redis_url": "redis+cluster://a:1", "redis_wait_replicas": 1}, "LIVEPOLL_REDIS_WAIT_REPLICAS"),
        ({"redis_url": "redis://a:1/0", "redis_cluster": True, "redis_wait_replicas": 1}, "not a Cluster"),
    ],
)
def test_bad_combinations_stop_the_server_with_a_message(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(**overrides)


def test_wait_replicas_with_one_primary_is_accepted() -> None:
    assert load_settings(redis_url="redis+sentinel://a:1/m", redis_wait_replicas=1).redis_wait_replicas == 1


def test_passwords_are_redacted_in_every_url_form() -> None:
    assert redacted_url("redis+sentinel://:pw@a:1,b:2/m?sentinel_password=s") == (
        "redis+sentinel://:***@a:1,b:2/m?sentinel_password=***"
    )
    assert redacted_url("redis+cluster://u:pw@a:1,b:2") == "redis+cluster://u:***@a:1,b:2"
    assert redacted_url("redis://h:6379/0") == "redis://h:6379/0"


def test_in_a_cluster_every_script_notice_is_a_shard_message() -> None:
    """The Cluster client rewrites each script's PUBLISH to SPUBLISH: a script written another way would send
    its notices where no process listens."""
    scripts = resources.files("livepoll.backends")
    for script in scripts.iterdir():
        if script.name.endswith(".lua"):
            code = "\n".join(line.split("--", 1)[0] for line in sharded(script.read_text("utf-8")).splitlines())
            text = code.upper().replace("SPUBLISH", "")  # comments left out: they may say "published"
            assert "PUBLISH" not in text, f"{script.name} publishes in a form the Cluster client does not rewrite"
