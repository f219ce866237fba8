"""Props of the guestbook's NetworkPolicies."""

from __future__ import annotations

from pydantic import Field

from guestbook.props.base import Cidr, DnsLabel, Model


class NetworkPolicyProps(Model):
    """Default-deny in the namespace plus exactly the flows the guestbook needs."""

    enabled: bool = False
    """Render the NetworkPolicies. Default: false."""
    client_cidrs: list[Cidr] = Field(default_factory=list)
    """CIDRs allowed to reach the frontend on its port; empty allows every client. Default: []."""
    dns_namespace: DnsLabel = "kube-system"
    """Namespace of the cluster DNS that frontend and followers may query on port 53."""
