"""Offline schemas for kubeconform, generated from pinned upstream sources.

* :mod:`.sources` - the pins (Kubernetes OpenAPI spec, CRD modules and files);
* :mod:`.openapi`, :mod:`.crds`, :mod:`.convert` - pure conversion to strict JSON Schema;
* :mod:`.gomod` - fetching modules with ``go mod download`` (edge);
* :mod:`.generate` - writing a version folder; :mod:`.store` - reading it.
"""

from guestbook.validate.schemas.store import SETUP_HINT, SchemaIndex, SchemaStore

__all__ = ["SETUP_HINT", "SchemaIndex", "SchemaStore"]
