"""The end-to-end test: Argo CD syncs dist/ from a git repository into a local cluster.

Everything runs as real local processes inside a fresh network namespace that has only
``lo``: a Kubernetes control plane with kwok nodes and metrics-server (kwokctl, binary
runtime), Redis, Argo CD's repo-server and application-controller. ``make e2e`` runs it;
the modules are thin edges around those programs (see README, "End to end").
"""
