"""The fixed names and ports of the kubernetes.io guestbook tutorial's images.

The images are built around them and never read them from configuration: the
frontend looks up ``redis-leader`` and ``redis-follower`` through DNS in its own
namespace and talks to them on 6379; the follower runs ``redis-server --replicaof
redis-leader 6379``; Apache in the frontend binds port 80. The constructs render
them and the contract rules check them, both from here. Imports nothing.
"""

from __future__ import annotations

FRONTEND_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"
"""The tutorial's frontend (Apache with mod_php and the guestbook page)."""
FOLLOWER_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/gb-redis-follower:v2"
"""The tutorial's Redis follower, built on Redis, replicating from ``redis-leader:6379``."""
REDIS_IMAGE = "docker.io/redis:6.0.5"
"""The tutorial's Redis leader."""

LEADER_SERVICE = "redis-leader"
"""The Service the frontend writes to and the followers replicate from."""
FOLLOWER_SERVICE = "redis-follower"
"""The Service the frontend reads from."""
FRONTEND_SERVICE = "frontend"
"""The Service that exposes the frontend."""

REDIS_PORT = 6379
"""The only port the images connect to Redis on."""
FRONTEND_PORT = 80
"""The port Apache binds in the frontend image."""
