"""Whole numbers that add up: the one rounding rule of targets, and the conversion-rate weights.

Pure functions (no database): a parent's number becomes its children's by the largest-remainder
method, so children always add up to their parent exactly; locked children keep their number and
the rest is spread over the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from everydoor.core.errors import ErrorCode, EverydoorError

# How many visited households a node's own conversion rate counts for against its parent's
# (a pseudo-count): a village with 3 visits moves little from its commune's rate, one with 200
# is mostly its own.
CONVERSION_PRIOR_HOUSEHOLDS = 20.0


def allocate(total: int, weights) -> np.ndarray:
    """Integers proportional to weights that add up exactly to total (largest remainder).

    A negative total is spread as its opposite, negated (a fall in cards splits like a gain). When
    every weight is zero (or there are none with weight), the total is spread equally; ties go to
    the earlier child, so the result depends only on the order given.
    """
    if len(weights) == 1:  # most villages have one officer: no arithmetic to do
        return np.array([total], dtype=np.int64)
    weights = np.asarray(weights, dtype=float)
    if len(weights) == 0 or total == 0:
        return np.zeros(len(weights), dtype=np.int64)
    if total < 0:
        return -allocate(-total, weights)
    weights = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    if weights.sum() <= 0:
        weights = np.ones(len(weights))
    quota = weights / weights.sum() * total
    base = np.floor(quota).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:rest]] += 1
    return base


def allocate_locked(total: int, weights, locked: Sequence[int | None], *, name: str = "the parent") -> np.ndarray:
    """Children's numbers for a parent's total: locked children (a number) keep theirs, the rest is
    spread over the unlocked (None) by weight.

    Refused with a clear message when locked children exceed the parent, or when every child is
    locked and they do not add up to it (nothing would be left to absorb the difference).
    """
    locked_mask = np.array([v is not None for v in locked], dtype=bool)
    kept = np.array([v or 0 for v in locked], dtype=np.int64)
    kept_sum = int(kept.sum())
    if len(locked) and locked_mask.all():
        if kept_sum != total:
            raise EverydoorError(
                ErrorCode.INVALID_INPUT,
                f"every target under {name} is locked and they add up to {kept_sum:,}, not {total:,}: "
                "unlock one of them (everydoor targets unlock)")
        return kept
    if total >= 0 and kept_sum > total:
        raise EverydoorError(
            ErrorCode.INVALID_INPUT,
            f"locked targets under {name} add up to {kept_sum:,}, more than its target of {total:,}: "
            "lower or unlock one of them (everydoor targets unlock)")
    out = kept.copy()
    free = ~locked_mask
    out[free] = allocate(total - kept_sum, np.asarray(weights, dtype=float)[free])
    return out


def smoothed_rate(converted: float, households: float, parent_rate: float,
                  prior: float = CONVERSION_PRIOR_HOUSEHOLDS) -> float:
    """A node's conversion rate, shrunk toward its parent's.

    rate = (converted + prior x parent_rate) / (households + prior), where converted is the node's
    enrolled and promised members, households its visited households and prior the pseudo-count
    CONVERSION_PRIOR_HOUSEHOLDS: with no visits the node takes its parent's rate; the more households
    it has visited, the more its own rate counts.
    """
    return (converted + prior * parent_rate) / (households + prior)
