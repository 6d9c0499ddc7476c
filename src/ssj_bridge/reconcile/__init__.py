"""Reconciliation: stage both sides, diff them in one set-based pass, keep each break's history."""
