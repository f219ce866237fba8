"""Layer 2, resources (guestbook.validate.rules.apiserver.resources)."""

from __future__ import annotations

import pytest

from guestbook.validate.rules import run
from guestbook.validate.rules.apiserver import resources
from tests.rules_fixtures import deployment, fired, fixtures_for, only


@pytest.mark.parametrize("fixture", fixtures_for(resources.RULES))
def test_broken_manifest_triggers_only_its_rule(fixture: str) -> None:
    # Given a manifest broken in the one way its name says
    # When every rule runs
    got, want = only(fixture)
    # Then exactly the rules its header names fire
    assert got == want


@pytest.mark.parametrize(
    ("requests", "limits", "fires"),
    [
        ({"cpu": "500m"}, {"cpu": "0.5"}, set()),
        ({"cpu": "501m"}, {"cpu": "0.5"}, {"requests-exceed-limits"}),
        ({"memory": "1Gi"}, {"memory": "1024Mi"}, set()),
        ({"memory": "1G"}, {"memory": "1Gi"}, set()),  # 10^9 < 2^30
        ({"cpu": 2}, {"cpu": "1500m"}, {"requests-exceed-limits"}),
        ({"cpu": "-1"}, {}, {"resource-quantity"}),
        (
            {"hugepages-2Mi": "4Mi", "example.com/gpu": 1},
            {"hugepages-2Mi": "4Mi", "example.com/gpu": 1},
            set(),
        ),
    ],
)
def test_requests_and_limits_compare_as_quantities(
    requests: dict[str, object], limits: dict[str, object], fires: set[str]
) -> None:
    # Given a container with these requests and limits
    doc = deployment(
        {
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.27",
                    "resources": {"requests": requests, "limits": limits},
                }
            ]
        }
    )
    # When the rules run, Then only the expected rules fire
    assert fired(run([doc])) == fires


def test_empty_dir_size_limit_is_a_quantity() -> None:
    # Given an emptyDir with a malformed sizeLimit
    doc = deployment(
        {
            "containers": [{"name": "web", "image": "nginx:1.27"}],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "1 GB"}}],
        }
    )
    # When the rules run, Then resource-quantity fires
    assert fired(run([doc])) == {"resource-quantity"}
