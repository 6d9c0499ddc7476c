"""The verifiable sampler, algorithm ``ssj-draw-v1`` (``contracts/draw/README.md``).

Commit to a secret, mix in the witness's text, derive a keyed random stream and choose ``k``
candidates with a partial Fisher–Yates shuffle. Anyone holding the same inputs re-derives the
same subjects; ``contracts/draw/README.md`` publishes the algorithm and its test vector.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

from ssj_bridge.model.records import SSJ_DRAW_V1

ALGORITHM = SSJ_DRAW_V1

SECRET_BYTES = 32
_U64_SPAN = 2**64


def normalise_candidates(usccs: Iterable[str]) -> list[str]:
    """Return the candidate USCCs upper-cased, without duplicates, in ascending byte order."""
    # UTF-8 preserves code-point order, so Python's str order is the byte order draw.md asks for.
    return sorted({uscc.upper() for uscc in usccs})


def candidates_hash(candidates: Sequence[str]) -> str:
    """Return the lower-case hex SHA-256 of the sorted candidates joined by ``\\n``.

    Also used for the inspector candidates, so the list may be empty and is not upper-cased;
    it must already be sorted and free of duplicates.
    """
    _require_sorted_unique(candidates)
    return hashlib.sha256("\n".join(candidates).encode("utf-8")).hexdigest()


def new_secret() -> bytes:
    """Return a fresh 32-byte secret from the operating system's secure generator."""
    return secrets.token_bytes(SECRET_BYTES)


def commitment(secret: bytes) -> str:
    """Return the commitment to a secret: lower-case hex SHA-256 of its 32 bytes."""
    _require_secret(secret)
    return hashlib.sha256(secret).hexdigest()


def seed(secret: bytes, witness_entropy: str) -> bytes:
    """Return SHA-256(secret ‖ 0x00 ‖ UTF-8 witness entropy), the key of the random stream.

    An unwitnessed draw passes the empty string.
    """
    _require_secret(secret)
    return hashlib.sha256(secret + b"\x00" + witness_entropy.encode("utf-8")).digest()


class RandomStream:
    """The draw's random stream: HMAC-SHA256 blocks read as big-endian unsigned 64-bit integers.

    Block ``i`` is ``HMAC-SHA256(seed, label ‖ 0x00 ‖ candidatesHash ‖ 0x00 ‖ i)`` with ``i``
    as 8 bytes big-endian.
    """

    def __init__(self, seed: bytes, label: str, candidates_hash: str) -> None:
        if len(seed) != SECRET_BYTES:
            raise ValueError(
                f"seed: {len(seed)} bytes given, the seed is a SHA-256 digest of {SECRET_BYTES}"
            )
        self._seed = seed
        self._prefix = label.encode("utf-8") + b"\x00" + candidates_hash.encode("utf-8") + b"\x00"
        self._block_index = 0
        self._buffer = b""

    def _next_block(self) -> bytes:
        message = self._prefix + self._block_index.to_bytes(8, "big")
        self._block_index += 1
        return hmac.new(self._seed, message, hashlib.sha256).digest()

    def next_u64(self) -> int:
        """Return the next 8 bytes of the stream as an unsigned big-endian integer."""
        if len(self._buffer) < 8:
            self._buffer += self._next_block()
        chunk, self._buffer = self._buffer[:8], self._buffer[8:]
        return int.from_bytes(chunk, "big")

    def uniform(self, n: int) -> int:
        """Return an integer in ``[0, n)`` without modulo bias.

        A value ``u ≥ 2^64 − (2^64 mod n)`` is discarded and the next one read, so every
        residue is equally likely. Always reads at least one value, even for ``n = 1``.
        """
        if not 1 <= n <= _U64_SPAN:
            raise ValueError(f"uniform: n={n} is out of range, must be 1 ≤ n ≤ 2^64")
        limit = _U64_SPAN - (_U64_SPAN % n)
        while True:
            u = self.next_u64()
            if u < limit:
                return u % n


def choose(candidates: Sequence[str], k: int, stream: RandomStream) -> list[str]:
    """Choose ``k`` of the sorted candidates by partial Fisher–Yates, in drawing order.

    For ``j = 0 … k−1`` swap ``a[j]`` with ``a[j + uniform(n − j)]``; the draw is ``a[0:k]``.
    """
    if not candidates:
        raise ValueError("candidates: the list is empty, there is nothing to draw from")
    _require_sorted_unique(candidates)
    n = len(candidates)
    if not 1 <= k <= n:
        raise ValueError(f"k={k} is out of range, must be 1 ≤ k ≤ {n} (the number of candidates)")
    a = list(candidates)
    for j in range(k):
        r = j + stream.uniform(n - j)
        a[j], a[r] = a[r], a[j]
    return a[:k]


def draw_subjects(
    secret: bytes, witness_entropy: str, label: str, candidates: Sequence[str], k: int
) -> list[str]:
    """Run a whole draw from its revealed inputs and return the chosen USCCs in order.

    ``candidates`` must already be normalised (see :func:`normalise_candidates`): a draw is
    verified against the list that was committed, so it is never silently rewritten here.
    """
    if not candidates:
        raise ValueError("candidates: the list is empty, there is nothing to draw from")
    _require_sorted_unique(candidates)
    for index, uscc in enumerate(candidates):
        if uscc != uscc.upper():
            raise ValueError(
                f"candidates[{index}] {uscc!r} is not upper case; use normalise_candidates()"
            )
    stream = RandomStream(seed(secret, witness_entropy), label, candidates_hash(candidates))
    return choose(candidates, k, stream)


def _require_secret(secret: bytes) -> None:
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"secret: {len(secret)} bytes given, a secret is {SECRET_BYTES} bytes")


def _require_sorted_unique(candidates: Sequence[str]) -> None:
    for index in range(1, len(candidates)):
        previous, current = candidates[index - 1], candidates[index]
        if current == previous:
            raise ValueError(
                f"candidates[{index}] {current!r} is a duplicate; candidates must be unique"
            )
        if current < previous:
            raise ValueError(
                f"candidates[{index}] {current!r} sorts before candidates[{index - 1}] "
                f"{previous!r}; candidates must be in ascending byte order"
            )
