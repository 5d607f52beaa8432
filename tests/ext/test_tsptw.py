"""The round kernel against plain Python: time warp of an order, exhaustive optimum, bad input."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from ext import tsptw

H = 3600
START_S = 8 * H


def plain_time_warp(order, dur, early, late, service, start_s, end_by_s) -> int:
    """Seconds of time warp of visiting ``order`` (stops 1..n), the plain way: wait
    when early; when late, count the lateness and go on as if on time (Vidal's time warp); the
    end of the last delivery by ``end_by_s``; the drive back counts for the length only."""
    t, prev, warp = start_s, 0, 0
    for v in order:
        t = max(t + dur[prev][v], early[v - 1])
        if t > late[v - 1]:
            warp += t - late[v - 1]
            t = late[v - 1]
        t += service[v - 1]
        prev = v
    return warp + max(0, t - end_by_s)


def plain_length_m(order, dist) -> int:
    path = [0, *order, 0]
    return sum(dist[a][b] for a, b in itertools.pairwise(path))


def random_round(n: int, seed: int, tight: bool = False):
    """``n`` stops on a 4 km square, symmetric matrices at 8 m/s, staggered windows."""
    rng = random.Random(seed)
    xy = [(0.0, 0.0)] + [(rng.uniform(-2e3, 2e3), rng.uniform(-2e3, 2e3)) for _ in range(n)]
    dist = [[round(1.3 * np.hypot(a[0] - b[0], a[1] - b[1])) for b in xy] for a in xy]
    dur = [[round(d / 8) for d in row] for row in dist]
    early, late = [], []
    for _ in range(n):
        if rng.random() < 0.4:
            opens = START_S + rng.choice((10, 20, 30, 45)) * 60
            early.append(opens)
            late.append(opens + (10 if tight else 30) * 60)
        else:
            early.append(START_S)
            late.append(START_S + 3 * H)
    service = [rng.randint(60, 180) for _ in range(n)]
    return dist, dur, early, late, service


def exhaustive(dist, dur, early, late, service, end_by_s) -> tuple[int, int]:
    """(least time warp, shortest length at that warp) over every order."""
    n = len(early)
    return min(
        (plain_time_warp(p, dur, early, late, service, START_S, end_by_s), plain_length_m(p, dist))
        for p in itertools.permutations(range(1, n + 1))
    )


@pytest.mark.parametrize("seed", range(12))
def test_the_kernel_finds_the_exhaustive_optimum_of_small_rounds(seed: int) -> None:
    n = 5 + seed % 3
    dist, dur, early, late, service = random_round(n, seed)
    end_by_s = START_S + 2 * H
    order, length_m, warp_s, iterations = tsptw.solve(
        dist, dur, early, late, service, START_S, end_by_s, list(range(1, n + 1)), 30.0, seed,
        max_iterations=300,
    )  # fmt: skip
    assert sorted(order.tolist()) == list(range(1, n + 1))
    assert iterations == 300
    # what the kernel says of its order is what the plain timetable says
    assert warp_s == plain_time_warp(order, dur, early, late, service, START_S, end_by_s)
    assert length_m == plain_length_m(order, dist)
    assert (warp_s, length_m) == exhaustive(dist, dur, early, late, service, end_by_s)


@pytest.mark.parametrize("seed", range(6))
def test_when_no_order_is_feasible_the_least_time_warp_is_returned(seed: int) -> None:
    n = 6
    dist, dur, early, late, service = random_round(n, 100 + seed, tight=True)
    end_by_s = START_S + 25 * 60  # too short for six stops
    order, _, warp_s, _ = tsptw.solve(
        dist, dur, early, late, service, START_S, end_by_s, list(range(1, n + 1)), 30.0, seed,
        max_iterations=400,
    )  # fmt: skip
    least = exhaustive(dist, dur, early, late, service, end_by_s)
    assert least[0] > 0
    assert warp_s == plain_time_warp(order, dur, early, late, service, START_S, end_by_s)
    assert warp_s == least[0]


def test_an_asymmetric_matrix_is_timed_in_the_direction_driven() -> None:
    # One-way streets: from 1 to 2 is long, from 2 to 1 short; the kernel must use each leg's
    # own duration and length, reversals included.
    dist = [[0, 1000, 1000, 1000], [1000, 0, 9000, 500], [1000, 500, 0, 500], [1000, 500, 9000, 0]]
    dur = [[d // 10 for d in row] for row in dist]
    early, late, service = [START_S] * 3, [START_S + 4 * H] * 3, [60] * 3
    order, length_m, warp_s, _ = tsptw.solve(
        dist, dur, early, late, service, START_S, START_S + 4 * H, [1, 2, 3], 30.0, 1,
        max_iterations=200,
    )  # fmt: skip
    assert (warp_s, length_m) == exhaustive(dist, dur, early, late, service, START_S + 4 * H)
    assert length_m == plain_length_m(order, dist)


def test_same_seed_and_iteration_count_give_the_same_order() -> None:
    n = 30
    dist, dur, early, late, service = random_round(n, 7)
    args = (dist, dur, early, late, service, START_S, START_S + 4 * H, list(range(1, n + 1)))
    first = tsptw.solve(*args, 30.0, 3, max_iterations=200)
    again = tsptw.solve(*args, 30.0, 3, max_iterations=200)
    assert first[0].tolist() == again[0].tolist() and first[1:] == again[1:]


def test_the_time_limit_ends_a_search_without_an_iteration_count() -> None:
    n = 40
    dist, dur, early, late, service = random_round(n, 8)
    order, length_m, warp_s, iterations = tsptw.solve(
        dist, dur, early, late, service, START_S, START_S + 4 * H, list(range(1, n + 1)), 0.05, 1
    )
    assert iterations > 0
    assert length_m == plain_length_m(order, dist)
    # never worse than the local optimum of its start, never worse than the start
    start = list(range(1, n + 1))
    assert (warp_s, length_m) <= (
        plain_time_warp(start, dur, early, late, service, START_S, START_S + 4 * H),
        plain_length_m(start, dist),
    )


def test_one_stop() -> None:
    order, length_m, warp_s, _ = tsptw.solve(
        [[0, 700], [700, 0]], [[0, 70], [70, 0]], [START_S], [START_S + H], [60], START_S,
        START_S + H, [1], 1.0, 1, max_iterations=5,
    )  # fmt: skip
    assert order.tolist() == [1] and length_m == 1400 and warp_s == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dist_m": [[0, 1], [1, 0], [1, 1]]}, "square matrices"),
        ({"dur_s": [[0, 1], [1, 0]]}, "square matrices of the same size"),
        ({"initial": [1, 1]}, "each once"),
        ({"initial": [0, 1]}, "each once"),
        ({"early_s": [START_S]}, "early_s must hold one value per stop"),
        ({"service_s": [60, -1]}, "must not be negative"),
        ({"dist_m": [[0, -5, 1], [1, 0, 1], [1, 1, 0]]}, "must not be negative"),
        ({"dist_m": [[0]], "dur_s": [[0]], "initial": []}, "between 1 and"),
        ({"history_length": 0}, "history_length"),
        ({"dist_m": [[0, "a", 1], [1, 0, 1], [1, 1, 0]]}, "whole numbers"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(change: dict, message: str) -> None:
    args = {
        "dist_m": [[0, 500, 900], [500, 0, 400], [900, 400, 0]],
        "dur_s": [[0, 50, 90], [50, 0, 40], [90, 40, 0]],
        "early_s": [START_S, START_S],
        "late_s": [START_S + H, START_S + H],
        "service_s": [60, 60],
        "start_s": START_S,
        "end_by_s": START_S + H,
        "initial": [1, 2],
        "time_limit_s": 1.0,
        "seed": 1,
        "max_iterations": 10,
    }
    args.update(change)
    with pytest.raises(ValueError, match=message):
        tsptw.solve(**args)
