"""Helpers over parsed Kubernetes objects, shared by the rules, the graph and the differ.

``fields`` reads fields safely, ``inventory`` indexes a set of objects once,
``podspec`` finds containers and ports, ``label_selectors`` parses and matches
selectors, ``quantity`` compares resource amounts and ``reachability`` computes
what NetworkPolicies allow. None of them is a rule.
"""
