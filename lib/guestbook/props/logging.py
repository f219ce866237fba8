"""Props of centralised logging: the pods' parser annotations and the cluster's log collector."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from guestbook.props.base import Cidr, DnsLabel, DnsSubdomain, Image, Model, Port

COLLECTOR_IMAGE = "cr.fluentbit.io/fluent/fluent-bit:4.2.2"
"""Fluent Bit, from its project's registry (docs/pinning.md: pinning it by digest)."""


class CollectorProps(Model):
    """The cluster's log collector: a Fluent Bit DaemonSet shipping every container's log.

    One per cluster (it reads every pod's log on each node), rendered into
    ``dist/<environment>.logging/`` with an Argo CD Application and AppProject of its own,
    into the namespace ``logging``. Its NetworkPolicy lets it reach only the endpoint
    (``endpointCidrs``, ``endpointNamespace``), the API server (``apiServerCidrs``, ports 443
    and 6443) and the cluster DNS (``networkPolicy.dnsNamespace``).
    """

    enabled: bool = False
    """Render the collector; at most one environment per cluster. Default: false."""
    image: Image = COLLECTOR_IMAGE
    """Fluent Bit image. Default: cr.fluentbit.io/fluent/fluent-bit:4.2.2."""
    output: Literal["es", "opensearch"] = "es"
    """Fluent Bit output: ``es`` (Elasticsearch) or ``opensearch``. Default: es."""
    host: DnsSubdomain | None = None
    """Host name of the endpoint. Required when enabled."""
    port: Port = 9200
    """Port of the endpoint. Default: 9200."""
    index: str = Field(default="guestbook", pattern=r"^[a-z0-9][a-z0-9_.+-]{0,254}$")
    """Index the records go to. Default: guestbook."""
    tls: bool = True
    """TLS to the endpoint, certificate verified. Default: true."""
    credentials_secret: DnsSubdomain | None = None
    """Secret in ``logging`` with keys ``username`` and ``password`` for the endpoint (never
    rendered: create it in the cluster). Default: none sent."""
    endpoint_cidrs: list[Cidr] = Field(default_factory=list)
    """Egress allowed to these CIDRs on ``port`` (an endpoint outside). Default: []."""
    endpoint_namespace: DnsLabel | None = None
    """Egress allowed to this namespace's pods on ``port`` (an endpoint inside). Default: unset."""
    api_server_cidrs: list[Cidr] = Field(default_factory=list)
    """The API server's endpoint addresses (``kubectl get endpoints kubernetes``). Required when
    enabled."""

    @model_validator(mode="after")
    def _complete(self) -> CollectorProps:
        if not self.enabled:
            return self
        missing = [
            what
            for what, absent in (
                ("host (where the logs go)", self.host is None),
                (
                    "endpointCidrs or endpointNamespace (the NetworkPolicy's way to the endpoint)",
                    not self.endpoint_cidrs and self.endpoint_namespace is None,
                ),
                (
                    "apiServerCidrs (the NetworkPolicy's way to the API server)",
                    not self.api_server_cidrs,
                ),
            )
            if absent
        ]
        if missing:
            raise ValueError("an enabled collector needs " + "; ".join(missing))
        return self


class LoggingProps(Model):
    """Centralised logging (see docs/production.md, "Centralised logging")."""

    enabled: bool = False
    """Annotate the pods with their log parsers (``fluentbit.io/parser...``). Default: false."""
    collector: CollectorProps = CollectorProps()
    """The cluster's Fluent Bit, its own Argo CD Application (docs/production.md).
    Default: off."""
