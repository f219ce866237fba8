"""Layer 2: what the API server rejects although the schema allows it.

One module per concern; each exposes ``RULES`` and ``CHECKS``.
"""
