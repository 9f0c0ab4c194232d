"""How fast the dashboard opens: a run of 1,000,000 logged steps, and the runs list with 1,000 runs.

Builds a temporary store with fitwatch itself (1,000 finished runs of 50 epochs, train and val loss
and accuracy, diagnosed as ``Run.finish`` does; and one run of 1,000,000 ``run.log`` calls over 100
epochs), starts the real server (``python -m fitwatch serve --port 0`` in a child process), then
measures:

1. API (httpx, from this process): ``GET /api/runs`` with 1,000 runs; the 1M-step run's
   ``/steps`` (downsampled to 2,000 min/max buckets) the first time (read from SQLite) and again
   (cached per step count), with smoothing; its record and epoch curves. First request and the
   median of ``--repeat`` more.
2. Browser (Playwright driving Debian's Chromium at /usr/bin/chromium; never a downloaded one), each
   in a fresh browser context (empty cache), the time from navigation start to "drawn" (the page
   sets ``#view[data-ready]`` once plotly.js has drawn every panel; the time is the page's own
   ``performance.now()`` at that moment):

   * the runs list with 1,000 runs;
   * the 1M-step run page opened from the runs list (the way in: click a run; plotly.js is already
     loaded, the list fetches it in the background): from the click to drawn;
   * the 1M-step run page opened cold (its URL typed into a new browser: plotly.js's basic bundle,
     1.2 MB, shipped with fitwatch, is loaded and initialised first; its share is printed).

Targets: under 1 second for the API calls, the runs list, and the run page, opened from the list
and opened cold. (With plotly's full 4.8 MB bundle the cold open took 1.6-1.8 s here, 1.2-1.3 s of
it plotly.js starting; the basic bundle starts in about 0.25 s.) Exit status 0 when every target
passes.

Run: .venv/bin/python benchmarks/dashboard.py [--runs 1000] [--steps 1000000] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import fitwatch

CHROMIUM = os.environ.get("FITWATCH_CHROMIUM", "/usr/bin/chromium")
TARGET_S = 1.0


def build_store(d: Path, runs: int, epochs: int, steps: int) -> int:
    """Fill ``d`` with ``runs`` finished runs and one run of ``steps`` batches; returns that run's id."""
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for i in range(runs):
        scale, noise = rng.uniform(5, 20), rng.uniform(0.002, 0.02)
        overfit_from = rng.integers(15, 60)
        with fitwatch.Run(f"sweep-{i:04d} lr={10 ** rng.uniform(-4, -1):.1e}", config={"trial": i}, dir=d,
                          diagnose="quiet", progress=False) as run:
            for e in run.epochs(epochs):
                base = np.exp(-e / scale)
                run.log_epoch(loss=float(0.1 + base + noise * rng.standard_normal()),
                              val_loss=float(0.15 + base + 0.004 * max(0, e - overfit_from) + noise * rng.standard_normal()),
                              accuracy=float(1 - base / 2), val_accuracy=float(0.97 - base / 2))
    print(f"  {runs} runs of {epochs} epochs written in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    per_epoch = steps // 100
    with fitwatch.Run("one-million-steps", config={"batches": steps}, dir=d, diagnose="quiet", progress=False) as run:
        for e in run.epochs(100):
            values = (1.0 / (1 + e) + 0.05 * rng.standard_normal(per_epoch)).tolist()
            for v in values:
                run.log("train", loss=v)
            run.log("val", loss=1.1 / (1 + e))
    print(f"  a run of {steps:,} run.log calls written in {time.perf_counter() - t:.1f} s")
    return run.id


def start_server(d: Path):
    p = subprocess.Popen([sys.executable, "-m", "fitwatch", "serve", "--dir", str(d), "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://\S+/", line)
    if not m:
        p.kill()
        raise SystemExit(f"the server did not start: {line}{p.stderr.read()}")
    return p, m.group(0)


def api_times(url: str, big: int, repeat: int) -> list[tuple[str, float, float, int]]:
    import httpx

    out = []
    with httpx.Client(base_url=url, timeout=120) as c:
        for label, path in [
            ("/api/runs (1,000 runs)", "api/runs"),
            ("/steps of the 1M-step run (first: read from SQLite)", f"api/runs/{big}/steps?split=train&metric=loss"),
            ("/steps, smooth=0.6 (EMA on the full 1M series)", f"api/runs/{big}/steps?split=train&metric=loss&smooth=0.6"),
            ("/api/runs/{id} of the 1M-step run", f"api/runs/{big}"),
            ("/curves of the 1M-step run", f"api/runs/{big}/curves"),
        ]:
            t = time.perf_counter()
            r = c.get(path)
            first = time.perf_counter() - t
            r.raise_for_status()
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                c.get(path).raise_for_status()
                times.append(time.perf_counter() - t)
            out.append((label, first, statistics.median(times), len(r.content)))
    return out


def browser_times(url: str, big: int, repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    res = {"list": [], "from_list": [], "cold": [], "cold_plotly": []}
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    ready_at = "Number(document.getElementById('view').dataset.readyAt) / 1000"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        for _ in range(repeat):
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto(url)
            page.wait_for_selector("#view[data-ready=runs]", state="attached", timeout=60_000)
            res["list"].append(page.evaluate(ready_at))
            n = page.locator("#runs-table tbody tr").count()
            assert n == 1001, n
            deadline = time.monotonic() + 60
            while not page.evaluate("!!window.Plotly") and time.monotonic() < deadline:  # fetched in the background
                time.sleep(0.05)  # (not wait_for_function: it evaluates with eval, which the page's CSP forbids)
            page.wait_for_timeout(200)
            t0 = page.evaluate("performance.now()")
            page.click(f"tr[data-id='{big}'] a.run-link")
            page.wait_for_selector("#view[data-ready=run]", state="attached", timeout=60_000)
            res["from_list"].append((page.evaluate("Number(document.getElementById('view').dataset.readyAt)") - t0)
                                    / 1000)
            assert page.locator("#plot-steps").get_attribute("data-total") == str(1_000_000)
            ctx.close()

            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto(f"{url}#/run/{big}")
            page.wait_for_selector("#view[data-ready=run]", state="attached", timeout=60_000)
            res["cold"].append(page.evaluate(ready_at))
            res["cold_plotly"].append(page.evaluate("performance.getEntriesByName('plotly')[0].duration") / 1000)
            ctx.close()
        browser.close()
    return res


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5, help="timed repeats (API), browser rounds = max(3, repeat // 2)")
    ap.add_argument("--keep", metavar="DIR", help="build the store in DIR and keep it (reused when it exists)")
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, fitwatch {fitwatch.__version__} from {Path(fitwatch.__file__).parent}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} not found: apt-get install chromium chromium-driver")
        return 1
    tmp = None
    if args.keep:
        d = Path(args.keep)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="fitwatch-dash-bench-")
        d = Path(tmp.name) / "store"
    if (d / "fitwatch.db").exists():
        big = fitwatch.load("one-million-steps", dir=d).id
        print(f"store: {d} (reused)")
    else:
        print(f"store: {d}")
        big = build_store(d, args.runs, args.epochs, args.steps)
        fitwatch.Store.shared(d).close()
    server, url = start_server(d)
    ok = True
    try:
        print(f"\n== API ({url}; median of {args.repeat} after the first request) ==")
        for label, first, median, size in api_times(url, big, args.repeat):
            good = first < TARGET_S and median < TARGET_S
            ok &= good
            print(f"  {label:<55} first {first * 1000:6.0f} ms   then {median * 1000:6.0f} ms   "
                  f"{size / 1e3:7.0f} kB   {verdict(good)}")
        rounds = max(3, args.repeat // 2)
        print(f"\n== Browser (Chromium {CHROMIUM}, 1280x800, fresh context each; median of {rounds}) ==")
        b = browser_times(url, big, rounds)
        med = {k: statistics.median(v) for k, v in b.items()}
        rows = [
            ("runs list, 1,000 runs: navigation to drawn", med["list"], True),
            ("1M-step run page opened from the list: click to drawn", med["from_list"], True),
            ("1M-step run page opened cold: navigation to drawn", med["cold"], True),
        ]
        for label, v, judged in rows:
            good = v < TARGET_S
            if judged:
                ok &= good
            print(f"  {label:<58} {v * 1000:6.0f} ms   {verdict(good) if judged else 'reported'}")
        print(f"    of which loading and starting plotly.js (basic, 1.2 MB)     {med['cold_plotly'] * 1000:6.0f} ms")
        print(f"    all rounds (s): list {fmt(b['list'])}; from list {fmt(b['from_list'])}; cold {fmt(b['cold'])}")
    finally:
        server.terminate()
        server.wait(20)
        if tmp is not None:
            tmp.cleanup()
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}; targets (< {TARGET_S:.0f} s): {verdict(ok)}")
    return 0 if ok else 1


def fmt(values) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
