"""Props of how Argo CD syncs one environment."""

from __future__ import annotations

from pydantic import model_validator

from guestbook.props.base import Model


class DestinationProps(Model):
    """The cluster an environment's Application deploys to: by API server URL or by name."""

    server: str | None = None
    """API server URL as registered in Argo CD. Default: the cluster Argo CD runs in
    (``https://kubernetes.default.svc``) when ``name`` is unset too."""
    name: str | None = None
    """Cluster name as registered in Argo CD (multi-cluster). Default: unset."""

    @model_validator(mode="after")
    def _server_or_name(self) -> DestinationProps:
        if self.server is not None and self.name is not None:
            raise ValueError("set either server or name, not both")
        return self


class ArgoCdProps(Model):
    """How Argo CD syncs this environment."""

    enabled: bool = True
    """Render an Argo CD Application for this environment. Default: true."""
    destination: DestinationProps = DestinationProps()
    """Target cluster. Default: the cluster Argo CD runs in."""
    automated: bool = True
    """Sync automatically when git changes. Default: true."""
    prune: bool = True
    """With automated sync, delete objects removed from git. Default: true."""
    self_heal: bool = True
    """With automated sync, revert changes made in the cluster by hand. Default: true."""
    sync_waves: bool = True
    """Annotate objects so Argo CD applies the leader, then followers, then the frontend."""
