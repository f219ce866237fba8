"""The props of the constructs, one module per part, importable without cdk8s.

They live here rather than beside their constructs because a constructs module
starts the jsii runtime (it subclasses ``constructs.Construct``), and the
overlay loader, ``guestbook validate`` and ``guestbook schema`` read these
models without rendering anything.
"""
