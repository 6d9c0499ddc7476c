"""The verifiable draw: the sampler of ``ssj-draw-v1`` (and, beside it, the inspector matcher)."""

from ssj_bridge.draw.sampler import (
    ALGORITHM,
    RandomStream,
    candidates_hash,
    choose,
    commitment,
    draw_subjects,
    new_secret,
    normalise_candidates,
    seed,
)

__all__ = [
    "ALGORITHM",
    "RandomStream",
    "candidates_hash",
    "choose",
    "commitment",
    "draw_subjects",
    "new_secret",
    "normalise_candidates",
    "seed",
]
