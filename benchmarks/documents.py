"""Benchmark of the documents: the draw announcement of a city, rendered and printed to PDF.

    .venv/bin/python benchmarks/documents.py [--candidates 5000] [--small 500] [--repeat 3]

The announcement is the document that grows with the city: it lists every candidate of
every stratum. Three strata share the candidates (KEY a tenth, SIMPLIFIED three tenths,
GENERAL the rest); the store is a fresh SQLite file filled directly (subjects, one committed
draw per stratum), so what is measured is what `draw announce --html --pdf` does: read the
commit and the names, render the HTML, print it with headless Chromium. Printed per size:
wall seconds of each step, pages, and milliseconds per candidate.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

from ssj_bridge.draw.records import draw_label
from ssj_bridge.report.draw_documents import draw_sheet, render_announcement
from ssj_bridge.report.paper import Letterhead, write_document
from ssj_bridge.report.pdf import print_pdf
from ssj_bridge.simulation.synthetic import make_uscc
from ssj_bridge.store import Store
from ssj_bridge.store.schema import draws, subjects

REGION, PERIOD = "371000", "2026Q4"
NOW = "2026-10-08T09:00:00+08:00"
SHARES = (("KEY", 0.1), ("SIMPLIFIED", 0.3), ("GENERAL", 0.6))


def fill(store: Store, count: int) -> None:
    """`count` subjects and one committed, unrevealed draw per stratum."""
    rng = random.Random(count)
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(make_uscc(rng, "371002"))
    ordered = sorted(codes)
    rng.shuffle(ordered)
    with store.engine.begin() as conn:
        conn.execute(subjects.insert(), [
            {"uscc": u, "name": f"威海市测试{i}环保科技有限公司", "region_code": "371002",
             "key_discharge_unit": False, "active": True, "permit_count": 1, "updated_at": NOW}
            for i, u in enumerate(ordered)])
        start = 0
        for category, share in SHARES:
            part = sorted(ordered[start:start + int(count * share)])
            start += len(part)
            conn.execute(draws.insert().values(
                label=draw_label(REGION, PERIOD, "M01", category), region_code=REGION,
                period=PERIOD, matter_code="M01", category=category, algorithm="ssj-draw-v1",
                k=max(1, len(part) // 20), candidates=orjson.dumps(part).decode(),
                candidates_hash="0" * 64, inspector_candidates=orjson.dumps({
                    "inspectors": [], "groupSize": 2}).decode(),
                inspector_candidates_hash="1" * 64, commitment="2" * 64, secret="3" * 64,
                committed_at=NOW))


def measure(count: int, folder: Path) -> dict[str, float]:
    """One announcement of `count` candidates: seconds of each step, pages."""
    import pypdf

    store = Store(f"sqlite:///{folder / f'store-{count}.db'}")
    store.migrate()
    fill(store, count)
    letterhead = Letterhead("威海市生态环境局", "双随机抽查抽取承诺公示", PERIOD, REGION)
    began = time.perf_counter()
    sheet = draw_sheet(store, REGION, PERIOD, "M01", "污染源日常环境监督管理")
    read = time.perf_counter()
    html = write_document(render_announcement(sheet, letterhead), folder / f"ann-{count}.html")
    rendered = time.perf_counter()
    pdf = print_pdf(html, folder / f"ann-{count}.pdf", timeout=600)
    printed = time.perf_counter()
    store.dispose()
    return {"read": read - began, "render": rendered - read, "print": printed - rendered,
            "pages": len(pypdf.PdfReader(str(pdf)).pages)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'candidates':>10} {'read s':>8} {'render s':>9} {'print s':>8} {'pages':>6} "
          f"{'ms/candidate':>13}   (median of {args.repeat}; every run listed below)")
    for count in (args.small, args.candidates):
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="ssj-bench-docs-") as folder:
                runs.append(measure(count, Path(folder)))
        median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        total = median["read"] + median["render"] + median["print"]
        print(f"{count:>10} {median['read']:>8.2f} {median['render']:>9.2f} "
              f"{median['print']:>8.2f} {int(median['pages']):>6} {1000 * total / count:>13.2f}")
        for run in runs:
            print(f"{'':>10} {run['read']:>8.2f} {run['render']:>9.2f} {run['print']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
