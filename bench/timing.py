"""The one timing helper of the bench: a figure timed interleaved with its floor, and percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial


@dataclass(frozen=True)
class Figure:
    """Our code against its floor, in milliseconds, from the same run (iterations alternate ours/floor)."""

    ours_ms: float
    floor_ms: float
    ours_p95_ms: float
    floor_p95_ms: float
    runs: int

    @property
    def ratio(self) -> float:
        return self.ours_ms / self.floor_ms if self.floor_ms else float("nan")

    @property
    def p95_ratio(self) -> float:
        return self.ours_p95_ms / self.floor_p95_ms if self.floor_p95_ms else float("nan")

    def as_json(self) -> dict[str, float]:
        return {
            "ours_ms": round(self.ours_ms, 3),
            "floor_ms": round(self.floor_ms, 3),
            "ratio": round(self.ratio, 3),
            "p95_ratio": round(self.p95_ratio, 3),
            "ours_p95_ms": round(self.ours_p95_ms, 3),
            "floor_p95_ms": round(self.floor_p95_ms, 3),
            "runs": self.runs,
        }


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def spread(times: list[float]) -> dict[str, float | None]:
    """The median, p95 and longest of timings in ms, each rounded to a tenth (None when there are none)."""
    if not times:
        return {"median": None, "p95": None, "longest": None}
    return {"median": round(statistics.median(times), 1), "p95": round(p95(times), 1), "longest": round(max(times), 1)}


def milliseconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def interleaved(
    ours: Callable[[int], object],
    floor: Callable[[int], object],
    *,
    runs: int,
    warmup: int = 2,
    before: Callable[[int], object] | None = None,
) -> Figure:
    """Time `ours(i)` and `floor(i)` alternately for i in range(runs), after `warmup` untimed rounds of each.

    The order within a pair flips every iteration, so neither side always runs on a cache the other warmed.
    `before(i)`, if given, runs untimed before each timed call (e.g. emptying a cache for a cold figure)."""
    for index in range(warmup):
        ours(-1 - index)
        floor(-1 - index)
    ours_times: list[float] = []
    floor_times: list[float] = []
    for index in range(runs):
        pair = ((ours, ours_times), (floor, floor_times))
        for call, times in pair if index % 2 == 0 else reversed(pair):
            if before is not None:
                before(index)
            times.append(milliseconds(partial(call, index)))
    return figure_of(ours_times, floor_times)


def figure_of(ours_times: list[float], floor_times: list[float]) -> Figure:
    """The figure of times taken elsewhere (a browser gesture times only its own part), paired run by run."""
    return Figure(
        ours_ms=statistics.median(ours_times),
        floor_ms=statistics.median(floor_times),
        ours_p95_ms=p95(ours_times),
        floor_p95_ms=p95(floor_times),
        runs=len(ours_times),
    )


def print_figures(figures: dict[str, dict[str, float]]) -> None:
    """The figures (Figure.as_json each) as a table on stdout."""
    print(f"{'figure':34} {'ours ms':>9} {'floor ms':>9} {'ratio':>6} {'p95 ms':>9} {'floor p95':>9} {'p95 ratio':>9}")
    for name, figure in figures.items():
        print(
            f"{name:34} {figure['ours_ms']:>9.2f} {figure['floor_ms']:>9.2f} {figure['ratio']:>6.2f} "
            f"{figure['ours_p95_ms']:>9.2f} {figure['floor_p95_ms']:>9.2f} {figure['p95_ratio']:>9.2f}"
        )
