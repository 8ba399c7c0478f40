"""The rounding rule of targets: children add up to their parent exactly, locked ones are kept."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from everydoor.campaign.allocation import allocate, allocate_locked, smoothed_rate
from everydoor.core.errors import EverydoorError

weights_st = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40)


@given(total=st.integers(min_value=-10**7, max_value=10**7), weights=weights_st)
def test_allocate_adds_up_exactly_and_stays_within_one_of_the_quota(total, weights):
    out = allocate(total, weights)
    assert out.dtype == np.int64 and len(out) == len(weights)
    assert int(out.sum()) == total
    w = np.asarray(weights)
    w = w if w.sum() > 0 else np.ones(len(w))
    quota = w / w.sum() * total
    assert np.all(np.abs(out - quota) < 1)


@given(total=st.integers(min_value=0, max_value=10**6), weights=weights_st, data=st.data())
def test_locked_children_keep_their_number_and_the_rest_adds_up(total, weights, data):
    locked = [data.draw(st.one_of(st.none(), st.integers(min_value=0, max_value=total))) for _ in weights]
    if all(v is not None for v in locked):
        locked[0] = None
    if sum(v or 0 for v in locked) > total:
        with pytest.raises(EverydoorError, match="more than its target"):
            allocate_locked(total, weights, locked)
        return
    out = allocate_locked(total, weights, locked)
    assert int(out.sum()) == total
    assert all(out[i] == v for i, v in enumerate(locked) if v is not None)
    assert (out >= 0).all()


def test_largest_remainder_on_a_small_case():
    # quotas 3.33, 3.33, 3.33: the first gets the leftover; 7 by 1:2 -> 2.33, 4.67 -> 2, 5
    assert allocate(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert allocate(7, [1, 2]).tolist() == [2, 5]
    assert allocate(-7, [1, 2]).tolist() == [-2, -5]
    assert allocate(5, [0, 0]).tolist() == [3, 2]  # no weight at all: equal shares


def test_locked_children_exceeding_their_parent_are_refused_by_name():
    with pytest.raises(EverydoorError) as exc:
        allocate_locked(100, [1, 1, 1], [80, 30, None], name="Xã Mường Bo")
    assert exc.value.message.startswith("locked targets under Xã Mường Bo add up to 110, more than its target of 100")
    with pytest.raises(EverydoorError, match="every target under X is locked and they add up to 90, not 100"):
        allocate_locked(100, [1, 1], [60, 30], name="X")


def test_smoothed_rate_moves_from_the_parent_toward_the_node_with_visits():
    assert smoothed_rate(0, 0, 0.5) == 0.5
    assert smoothed_rate(3, 3, 0.5) == pytest.approx((3 + 20 * 0.5) / 23)
    assert abs(smoothed_rate(400, 200, 0.5) - 2.0) < abs(smoothed_rate(4, 2, 0.5) - 2.0)
