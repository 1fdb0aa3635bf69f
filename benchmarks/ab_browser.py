"""Browser times of two checkouts of app.py against the trivial app, in one run (attnviz/pagebench.py's
browser_measure): before/after figures whose ratios share one yardstick.

Run: python benchmarks/ab_browser.py --before /path/to/old/checkout [--after .] [--loads 3] [--rounds 1]
     python benchmarks/ab_browser.py --before ... --all-heads 5   (only the all-heads repaint, more rounds)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from attnviz import pagebench as pb  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, help="a checkout of the page before the change")
    p.add_argument("--after", default=str(ROOT), help="a checkout after it (default: this one)")
    p.add_argument("--loads", type=int, default=3, help="fresh loads per app (median)")
    p.add_argument("--rounds", type=int, default=1, help="rounds of the six actions per app")
    p.add_argument("--timeout", type=float, default=300, help="seconds one page may take (a busy machine)")
    p.add_argument("--all-heads", type=int, default=0, metavar="N",
                   help="time only the all-heads repaint: N rounds of 3 sentences per checkout, interleaved")
    a = p.parse_args()
    pb.BROWSER_TIMEOUT_MS = int(a.timeout * 1000)
    trees = {"trivial": (a.before, "benchmarks/trivial_app.py"), "before": (a.before, "app.py"),
             "after": (a.after, "app.py")}
    procs, urls = {}, {}
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    try:
        for name, (root, script) in trees.items():
            port = pb.free_port()
            env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": root}
            procs[name] = subprocess.Popen(pb.streamlit_cmd(Path(root) / script, port), cwd=root, env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            urls[name] = f"http://127.0.0.1:{port}"
        for name in trees:
            pb.wait_healthy(urls[name], procs[name], timeout=a.timeout * 2)
        for name in trees:  # warm-up: imports, models and the first figures of each server
            pb.browser_measure(urls[name], rounds=0, loads=1, log=log)
        if a.all_heads:
            return all_heads(urls, a.all_heads, log)
        got = {name: pb.browser_measure(urls[name], rounds=a.rounds, loads=a.loads, log=log) for name in trees}
    finally:
        for proc in procs.values():
            proc.terminate()
    print(json.dumps({n: {k: round(v * 1000) for k, v in d.items()} for n, d in got.items()}))
    base = dict(got["trivial"])
    base.setdefault(pb.ALL_HEADS, base.get("new sentence"))  # the trivial app has no heads: its new sentence
    for name in ("before", "after"):
        ratios = ", ".join(f"{k} {v / base[k]:.2f}x" for k, v in got[name].items() if base.get(k))
        print(f"{name} / trivial_app: {ratios}; first paint / trivial first load "
              f"{got[name]['first paint'] / base['first load']:.2f}x")
    return 0


def all_heads(urls: dict, rounds: int, log) -> int:
    """The all-heads repaint of both checkouts, round by round, against the trivial app's new sentence."""
    from playwright.sync_api import sync_playwright
    times: dict[str, list[float]] = {"before": [], "after": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(pb.ensure_chromium(log)), args=pb.CHROMIUM_ARGS)
        try:
            for _ in range(rounds):
                for name in times:
                    times[name] += pb.all_heads_times(browser, urls[name], 3)
        finally:
            browser.close()
    trivial = pb.browser_measure(urls["trivial"], rounds=rounds, loads=1, log=log)["new sentence"]
    print(f"trivial app, new sentence: {trivial * 1000:.0f} ms")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name}: {pb.ALL_HEADS} {median * 1000:.0f} ms ({median / trivial:.2f}x), {len(values)} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
