"""Small numpy helpers the generators share."""

from __future__ import annotations

import numpy as np


def apportion(
    total: int, weights: np.ndarray, minimum: int = 0, maximum: int | None = None
) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights``, each at least ``minimum``
    and at most ``maximum``.

    Largest-remainder rounding, so the parts always add up to ``total`` exactly; a part over the
    maximum hands its excess to the smallest parts. Raises ValueError when the bounds make the
    split impossible.
    """
    weights = np.asarray(weights, dtype=float)
    count = len(weights)
    spare = total - minimum * count
    if spare < 0 or (maximum is not None and total > maximum * count):
        raise ValueError(f"cannot split {total} into {count} parts of {minimum}..{maximum}")
    shares = weights / weights.sum() * spare
    parts = np.floor(shares).astype(np.int64)
    by_remainder = np.argsort(parts - shares, kind="stable")
    parts[by_remainder[: spare - parts.sum()]] += 1
    parts += minimum
    while maximum is not None and parts.max() > maximum:
        parts[parts.argmax()] -= 1
        parts[parts.argmin()] += 1
    return parts


def concatenated_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.concatenate([np.arange(s, s + c) for s, c in zip(starts, counts)])``, without a loop."""
    counts = np.asarray(counts, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.repeat(np.asarray(starts, dtype=np.int64) - offsets, counts) + np.arange(counts.sum())


def optional_ids(indices: np.ndarray) -> np.ma.MaskedArray:
    """Database ids (index + 1) for 0-based ``indices``, with -1 ("none") masked as NULL."""
    indices = np.asarray(indices, dtype=np.int64)
    return np.ma.masked_array(indices + 1, mask=indices < 0)


def pick(rng: np.random.Generator, options: list[str], size: int, p=None) -> np.ndarray:
    """``size`` strings drawn from ``options`` (with probabilities ``p``), as an object array."""
    return np.array(options, dtype=object)[rng.choice(len(options), size=size, p=p)]
