"""Locality policies of the double-random draw, one module per locality's published text.

Each module registers its policy through `register_policies` and cites, for every rule, the
clause of its text (kept in `sources/`, the originals) and the words the rule rests on.
"""
