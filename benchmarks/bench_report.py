"""Time the HTML report on a large run: writing report.html and opening it in Chromium.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--records N] [--repeat R]

Scans three sample photos, copies their records N times (default 10,000) with new names
and spread confidences, then prints the seconds to write ``report.html``, its size, and,
when Debian's Chromium and Playwright are installed, the seconds until the page is ready
(``body[data-ready]``), a filter, and the first photo page. Not a test: numbers depend
on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path

from vision.batch import run_scan
from vision.html_report import write_html_report
from vision.report import read_results

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]


def synthetic_records(base: list[dict], n: int) -> list[dict]:
    records = []
    for i in range(n):
        r = copy.deepcopy(base[i % len(base)])
        r["image"] = f"photos/set{i // 1000}/photo_{i:05d}.jpg"
        r["identification"]["confidence"] = (i * 7919 % n) / n
        r["overlay"] = None
        records.append(r)
    return records


def browser_times(report: Path, repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"open": [], "filter": [], "photo page": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            t0 = time.perf_counter()
            page.goto(report.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            times["open"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.select_option("#f-label", "toofan")
            page.fill("#f-min", "0.9")
            page.wait_for_selector(".card")
            times["filter"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.locator(".card").first.click()
            page.wait_for_selector("#cue-table")
            times["photo page"].append(time.perf_counter() - t0)
            page.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scan = Path(tmp) / "scan"
        samples = [ROOT / "samples" / "synthetic" / "toofan_001.jpg", ROOT / "samples" / "synthetic" / "us_000.jpg", ROOT / "samples" / "real" / "astronaut.jpg"]
        run_scan(samples, scan, progress=False)
        records = synthetic_records(read_results(scan), args.records)
        out = Path(tmp) / "big"
        out.mkdir()
        writes = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = write_html_report(out, records)
            writes.append(time.perf_counter() - t0)
        print(f"records: {len(records)}; report.html: {report.stat().st_size / 1e6:.1f} MB")
        print(f"write report.html: median {statistics.median(writes):.2f} s (runs: {', '.join(f'{t:.2f}' for t in writes)})")
        try:
            times = browser_times(report, args.repeat)
        except ImportError:
            print("Chromium timings skipped: playwright is not installed")
            return
        for name, values in times.items():
            print(f"Chromium {name}: median {statistics.median(values):.2f} s (runs: {', '.join(f'{t:.2f}' for t in values)})")


if __name__ == "__main__":
    main()
