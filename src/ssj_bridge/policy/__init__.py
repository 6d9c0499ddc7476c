"""Locality policies: the rule book, classification of subjects, the quarter's plan."""
