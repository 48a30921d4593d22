"""The registry of measurements, the figures they produce, and the timing helpers.

A measurement is a function registered with :func:`bench`; it receives the :class:`Context`
(the large database, the store, the pinned "today", the repetition counts) and returns one or
more :class:`Figure` objects. A feature that is not in the code yet raises :class:`Pending`,
and the report lists it as pending instead of failing::

    from bench.core import Figure, Pending, bench

    @bench("monthly_summary", order=70)
    def monthly_summary(ctx):
        try:
            from station_app.reports.monthly import build_summary
        except ImportError as exc:
            raise Pending("Monthly summary (issue 6)", "≤ 1 s") from exc
        samples = ctx.time(lambda: build_summary(ctx.store, 2026, 10), repeats=ctx.reps(20))
        return Figure("monthly_summary", "Monthly summary, one month", samples, target=1000)

Every figure keeps its raw samples; the report gives the median and the 95th percentile
(nearest rank) and judges the target on the p95.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station_app.store import Store


# -- figures --------------------------------------------------------------------------------------
class Samples(list[float]):
    """Wall-clock samples, with the CPU time of this process for each (``cpu``), when known.

    On a machine shared with other work the CPU time is what the same work costs when it has a
    core to itself; the wall clock is what a user would have waited during this run.
    """

    def __init__(self, wall: list[float] = (), cpu: list[float] | None = None) -> None:  # type: ignore[assignment]
        super().__init__(wall)
        self.cpu = cpu


@dataclass
class Figure:
    """One row of the report: samples of one thing, its target, and optionally its floor."""

    key: str
    title: str
    samples: list[float]
    unit: str = "ms"  # "ms", "s" or "MB"
    target: float | None = None  # the p95 must be at most this (same unit)
    floor: list[float] | None = None  # samples of the bare way of doing the same thing
    floor_title: str = ""
    max_ratio: float | None = None  # the p95 must be at most this many times the floor's p95
    how: str = ""  # how it was measured, one or two sentences
    note: str = ""  # anything the reader must know about this run (rows, hits…)
    details: str = ""  # Markdown shown below the table (a breakdown), optional
    pending: str = ""  # non-empty: not measured, and why
    error: bool = False  # the measurement failed (``pending`` says how)
    cpu: list[float] | None = None  # CPU time of each sample, same unit (taken from ``Samples`` if not given)
    floor_cpu: list[float] | None = None  # CPU time of the floor's samples

    def __post_init__(self) -> None:
        if self.cpu is None:
            self.cpu = getattr(self.samples, "cpu", None)
        if self.floor is not None and self.floor_cpu is None:
            self.floor_cpu = getattr(self.floor, "cpu", None)
            self.floor = list(self.floor)
        self.samples = list(self.samples)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def ratio(self) -> float | None:
        """p95 over the floor's p95."""
        if not self.floor:
            return None
        return self.p95 / max(percentile(self.floor, 95), 1e-9)

    @property
    def met(self) -> bool | None:
        """Whether the figure is within its targets (None when it has none)."""
        if self.pending or (self.target is None and self.max_ratio is None):
            return None
        ok = True
        if self.target is not None:
            ok = ok and self.p95 <= self.target
        if self.max_ratio is not None and self.ratio is not None:
            ok = ok and self.ratio <= self.max_ratio
        return ok

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": self.key, "title": self.title, "unit": self.unit, "target": self.target,
            "max_ratio": self.max_ratio, "how": self.how, "note": self.note, "pending": self.pending,
            "error": self.error, "details": self.details,
        }
        if not self.pending:
            out.update(n=len(self.samples), median=self.median, p95=self.p95, samples=self.samples,
                       met=self.met, cpu_median=self.cpu_median, cpu=self.cpu)
            if self.floor:
                out.update(floor_title=self.floor_title, floor_median=statistics.median(self.floor),
                           floor_p95=percentile(self.floor, 95), ratio=self.ratio, floor=self.floor,
                           floor_cpu=self.floor_cpu)
        return out


class Pending(Exception):
    """Raised by a measurement whose feature is not in the code yet."""

    def __init__(self, title: str, target: str = "", reason: str = "feature not built yet") -> None:
        super().__init__(title)
        self.title = title
        self.target = target
        self.reason = reason


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of at least one value."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n·p/100)
    return ordered[int(rank) - 1]


# -- the context handed to every measurement ------------------------------------------------------
@dataclass
class Context:
    db: Path  # the large demo database (read-only for measurements: copy it before writing)
    store: Store  # opened on ``db`` as the app opens it
    today: dt.date  # the demo data's "today" (the clock is pinned to it)
    patients: int
    seed: int
    work_dir: Path  # a temporary folder for files a measurement writes
    scale: float = 1.0  # repetitions are multiplied by this (the smoke test uses a small one)
    build_info: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print

    def reps(self, n: int, minimum: int = 1) -> int:
        return max(minimum, round(n * self.scale))

    def time(self, fn: Callable[[], object], repeats: int, warmup: int = 1) -> Samples:
        """Wall-clock milliseconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls
        (a list), with the CPU milliseconds of each call in ``.cpu``.

        The garbage collector runs before each call, so one call does not pay for the last.
        """
        for _ in range(warmup):
            fn()
        wall, cpu = [], []
        for _ in range(repeats):
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            fn()
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        return Samples(wall, cpu)


# -- the registry ---------------------------------------------------------------------------------
Measure = Callable[[Context], "Figure | list[Figure]"]


@dataclass(frozen=True)
class Bench:
    name: str
    fn: Measure
    order: int


REGISTRY: dict[str, Bench] = {}


def bench(name: str, order: int = 100) -> Callable[[Measure], Measure]:
    """Register a measurement under ``name``; the report lists them by ``order``, then name."""

    def register(fn: Measure) -> Measure:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"two measurements named {name!r}")
        REGISTRY[name] = Bench(name, fn, order)
        return fn

    return register


def registered() -> list[Bench]:
    return sorted(REGISTRY.values(), key=lambda b: (b.order, b.name))


def run_all(ctx: Context, only: set[str] | None = None) -> list[Figure]:
    """Run every registered measurement (or those named in ``only``) and collect the figures."""
    figures: list[Figure] = []
    for b in registered():
        if only and b.name not in only:
            continue
        ctx.log(f"· {b.name}")
        started = time.perf_counter()
        try:
            result = b.fn(ctx)
        except Pending as p:
            figures.append(Figure(b.name, p.title, [], pending=p.reason,
                                  note=f"target {p.target}" if p.target else ""))
            continue
        except Exception as exc:  # one broken measurement must not lose the others' figures
            import traceback

            ctx.log(traceback.format_exc())
            figures.append(Figure(b.name, b.name, [], pending=f"failed: {type(exc).__name__}: {exc}"[:300],
                                  error=True))
            continue
        got = [result] if isinstance(result, Figure) else list(result)
        for f in got:
            if not f.pending and not f.samples:
                raise RuntimeError(f"measurement {b.name!r} gave no samples for {f.key!r}")
        figures.extend(got)
        ctx.log(f"  {b.name}: {time.perf_counter() - started:.1f} s")
    return figures
