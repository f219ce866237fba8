"""Where schemas come from: pinned Go modules and the files inside them.

Every schema is generated from an upstream release fetched with ``go mod
download`` (checksummed by the Go module system), so the cache is reproducible
from these pins alone. To validate another custom resource, add a
:class:`CrdSource` naming the module, its release and the CRD YAML files in it,
then run ``make setup``::

    CrdSource(
        module="github.com/prometheus-operator/prometheus-operator",
        version="v0.85.0",
        paths=(
            "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
            "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
        ),
    )
"""

from __future__ import annotations

from dataclasses import dataclass

KUBERNETES_MODULE = "k8s.io/kubernetes"
"""Its release ``v<version>`` carries the API server's OpenAPI spec."""

KUBERNETES_OPENAPI_SPEC = "api/openapi-spec/swagger.json"
"""The OpenAPI v2 document inside :data:`KUBERNETES_MODULE` (every built-in kind)."""


@dataclass(frozen=True)
class CrdSource:
    """CustomResourceDefinitions shipped inside one pinned Go module release."""

    module: str
    """Go module path, e.g. ``github.com/argoproj/argo-cd/v3``."""
    version: str
    """Exact release tag, e.g. ``v3.2.12``; never a branch or ``latest``."""
    paths: tuple[str, ...]
    """CRD YAML files inside the module (multi-document files are fine)."""


CRD_SOURCES: tuple[CrdSource, ...] = (
    CrdSource(
        module="github.com/argoproj/argo-cd/v3",
        version="v3.2.12",
        paths=(
            "manifests/crds/application-crd.yaml",
            "manifests/crds/applicationset-crd.yaml",
            "manifests/crds/appproject-crd.yaml",
        ),
    ),
    CrdSource(
        module="github.com/argoproj/argo-rollouts",
        version="v1.8.3",
        paths=(
            "manifests/crds/rollout-crd.yaml",
            "manifests/crds/analysis-template-crd.yaml",
            "manifests/crds/cluster-analysis-template-crd.yaml",
            "manifests/crds/analysis-run-crd.yaml",
            "manifests/crds/experiment-crd.yaml",
        ),
    ),
    CrdSource(
        module="github.com/prometheus-operator/prometheus-operator",
        version="v0.85.0",
        paths=(
            "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
            "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml",
        ),
    ),
)
"""The custom resources validated: Argo CD Application, ApplicationSet, AppProject; Argo
Rollouts' Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun and Experiment
(the frontend is a Rollout with ``frontend.canary.steps``); and the Prometheus Operator's
ServiceMonitor and PrometheusRule (rendered with monitoring on)."""
