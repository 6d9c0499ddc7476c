"""The report's charts as plain geometry, drawn as inline SVG by the template.

Computed here so the HTML needs no script and no library to show them, prints as it shows,
and reads the same in every mail client's browser. Colours are CSS classes (the template's
stylesheet), so a chart and its legend always agree.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ssj_bridge.report.compliance import MET, SHORT, BreakRun, ObligationFigures, kinds_of, percent_text

WIDTH = 960


@dataclass(frozen=True)
class Rect:
    """A bar (or part of one); `title` is its tooltip."""

    x: float
    y: float
    w: float
    h: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    """A piece of text; `anchor` is SVG's text-anchor."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = ""


@dataclass(frozen=True)
class Line:
    """A grid line or a marker (the 100% line, the deadline)."""

    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass(frozen=True)
class Chart:
    """One chart: its size, what it shows in words (for screen readers), and its shapes."""

    id: str
    title: str
    desc: str
    width: float
    height: float
    rects: tuple[Rect, ...] = ()
    labels: tuple[Label, ...] = ()
    lines: tuple[Line, ...] = ()
    legend: tuple[tuple[str, str], ...] = field(default=())  # (css class, text)


def count_axis(largest: int) -> tuple[int, int]:
    """An axis for counts up to `largest`: (top, step), the step a whole 1, 2 or 5 × 10^k and
    at most five steps, so every tick is a whole number."""
    largest = max(1, largest)
    rough = largest / 4
    power = 10 ** max(0, math.floor(math.log10(rough))) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * math.ceil(largest / step), step


def _grid(left: float, right: float, top: float, area_h: float, peak: int, step: int
          ) -> tuple[list[Line], list[Label]]:
    lines, labels = [], []
    for value in range(0, peak + 1, step):
        y = top + area_h - area_h * value / peak
        lines.append(Line(left, y, right, y, "grid" if value else "axis-line"))
        labels.append(Label(left - 6, y + 4, str(value), "end", "axis"))
    return lines, labels


# -- quota achievement ------------------------------------------------------------------------


def quota_chart(obligations: Sequence[ObligationFigures]) -> Chart | None:
    """One horizontal bar per obligation: done ÷ required, with the 100% line."""
    if not obligations:
        return None
    left, right, top, row = 200, 150, 28, 30
    area = WIDTH - left - right
    cap = max(1.0, min(1.5, max((o.achievement or 0.0) for o in obligations)))
    height = top + row * len(obligations) + 10
    rects, labels, lines = [], [], []
    for tick in (0.0, 0.5, 1.0, 1.5):
        if tick <= cap + 1e-9:
            x = left + area * tick / cap
            lines.append(Line(x, top - 6, x, height - 10, "marker" if tick == 1.0 else "grid"))
            labels.append(Label(x, top - 10, f"{tick:.0%}", "middle", "axis"))
    for index, o in enumerate(obligations):
        y = top + index * row
        labels.append(Label(left - 8, y + 19, f"{o.label} · {o.per} {o.period}", "end"))
        share = o.achievement
        width = area * min(share if share is not None else 1.0, cap) / cap
        css = {MET: "met", SHORT: "short"}.get(o.status, "open")
        rects.append(Rect(left, y + 6, max(width, 1.5), 18, css,
                          f"{o.label} {o.period}: {o.done} of {o.required} required "
                          f"({o.status})"))
        text = (f"{o.done} / {o.required} · {percent_text(share)}" if o.required
                else "none required")
        labels.append(Label(left + width + 6, y + 19, text))
    return Chart("chart-quotas", "Quota achievement", "Done ÷ required for each obligation; "
                 "the dark line is 100%.", WIDTH, height, tuple(rects), tuple(labels),
                 tuple(lines), (("met", "met"), ("open", "open (period running)"),
                                ("short", "short (period ended)")))


# -- breaks over the runs ---------------------------------------------------------------------


def breaks_chart(runs: Sequence[BreakRun]) -> Chart | None:
    """Stacked bars: each run's breaks by kind, oldest run first."""
    if not runs:
        return None
    left, right, top, bottom, height = 48, 16, 16, 44, 260
    area_w, area_h = WIDTH - left - right, height - top - bottom
    peak, step = count_axis(max(r.total for r in runs))
    slot = area_w / len(runs)
    bar = min(48.0, slot * 0.6)
    rects: list[Rect] = []
    lines, labels = _grid(left, WIDTH - right, top, area_h, peak, step)
    kinds = kinds_of(runs)
    every = max(1, math.ceil(len(runs) / 8))
    for index, run in enumerate(runs):
        x = left + slot * index + (slot - bar) / 2
        base: float = top + area_h
        for kind in kinds:
            count = run.counts.get(kind, 0)
            if not count:
                continue
            h = area_h * count / peak
            base -= h
            rects.append(Rect(x, base, bar, h, f"k-{kind}",
                              f"run {run.run_id} at {run.run_at}: {count} {kind}"))
        if run.failed:
            labels.append(Label(x + bar / 2, base - 4, "failed: " + ", ".join(run.failed),
                                "middle", "warn"))
        elif run.total:
            labels.append(Label(x + bar / 2, base - 4, str(run.total), "middle", "axis"))
        if index % every == 0 or index == len(runs) - 1:
            stamp = run.run_at[5:16].replace("T", " ")
            labels.append(Label(x + bar / 2, height - bottom + 16, stamp, "middle", "axis"))
    legend = tuple((f"k-{k}", k.replace("_", " ")) for k in kinds)
    return Chart("chart-breaks", "Breaks over the last reconciliation runs",
                 f"Breaks found by each of the last {len(runs)} runs, stacked by kind.",
                 WIDTH, height, tuple(rects), tuple(labels), tuple(lines), legend)


# -- days to publication ----------------------------------------------------------------------


def days_chart(days: Sequence[int], deadline: int) -> Chart | None:
    """Histogram of working days from completion to publication, with the deadline line."""
    if not days:
        return None
    left, right, top, bottom, height = 48, 16, 16, 44, 240
    area_w, area_h = WIDTH - left - right, height - top - bottom
    last = max(max(days), deadline + 1)
    width = max(1, math.ceil((last + 1) / 30))
    buckets = Counter(d // width for d in days)
    count = last // width + 1
    peak, step = count_axis(max(buckets.values()))
    slot = area_w / count
    rects: list[Rect] = []
    lines, labels = _grid(left, WIDTH - right, top, area_h, peak, step)
    every = max(1, math.ceil(count / 12))
    for index in range(count):
        low, high = index * width, index * width + width - 1
        span = str(low) if width == 1 else f"{low}–{high}"
        n = buckets.get(index, 0)
        if n:
            h = area_h * n / peak
            rects.append(Rect(left + slot * index + 1, top + area_h - h, max(slot - 2, 1), h,
                              "late" if low > deadline else "ontime",
                              f"{n} published after {span} working days"))
        if index % every == 0:
            labels.append(Label(left + slot * (index + 0.5), height - bottom + 16, str(low),
                                "middle", "axis"))
    x = left + slot * (deadline + 1) / width  # after the last on-time day
    lines.append(Line(x, top, x, top + area_h, "deadline"))
    labels.append(Label(x + 4, top + 12, f"deadline: {deadline} working days", "start", "warn"))
    labels.append(Label(left + area_w / 2, height - 6, "working days from task completion to "
                                                       "publication", "middle", "axis"))
    return Chart("chart-days", "Days to publication",
                 f"How many results were published after how many working days; the dashed "
                 f"line is the deadline of {deadline} working days.", WIDTH, height,
                 tuple(rects), tuple(labels), tuple(lines),
                 (("ontime", "within the deadline"), ("late", "after the deadline")))
