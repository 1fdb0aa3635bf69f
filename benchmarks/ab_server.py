"""Server CPU per interaction of two checkouts of app.py and of the trivial app, in one run: one
session acting alone on each server in turn (attnviz/pagebench.py's _alone), the three servers taking
turns `--repeats` times, so that a busy or quiet spell of the machine falls on all of them alike.

Run: python benchmarks/ab_server.py --before /path/to/old/checkout [--after .] [--rounds 15] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from attnviz import pagebench as pb  # noqa: E402


def cpu_per_action(root: str, script: str, rounds: int, seed: int) -> dict[str, float]:
    """Start `script` of checkout `root`, let one session act alone for `rounds` cycles: ms per action."""
    port = pb.free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": root}
    proc = subprocess.Popen(pb.streamlit_cmd(Path(root) / script, port), cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        pb.wait_healthy(url, proc)
        got = pb.run_async(pb._alone(url, rounds, proc.pid, seed))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {**{a: v * 1000 for a, v in got["by_action"].items()}, "mean": got["cpu_alone"] * 1000}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, help="a checkout of the page before the change")
    p.add_argument("--after", default=str(ROOT), help="a checkout after it (default: this one)")
    p.add_argument("--rounds", type=int, default=15, help="cycles of the seven actions per server and repeat")
    p.add_argument("--repeats", type=int, default=3, help="turns of the three servers")
    a = p.parse_args()
    servers = {"trivial": (a.before, "benchmarks/trivial_app.py"), "before": (a.before, "app.py"),
               "after": (a.after, "app.py")}
    got: dict[str, list[dict]] = {name: [] for name in servers}
    for repeat in range(a.repeats):
        for name, (root, script) in servers.items():
            got[name].append(cpu_per_action(root, script, a.rounds, seed=repeat))
            print(f"repeat {repeat + 1}, {name}: {got[name][-1]['mean']:.1f} ms", file=sys.stderr, flush=True)
    print(f"server CPU per interaction, one session alone, {a.rounds} cycles x {a.repeats} repeats "
          f"({os.cpu_count()} CPU cores); ms, mean of the repeats")
    means = {name: {k: statistics.fmean(r[k] for r in runs) for k in runs[0]} for name, runs in got.items()}
    for name, m in means.items():
        ratio = m["mean"] / means["trivial"]["mean"]
        print(f"{name:8s} mean {m['mean']:5.1f} ({ratio:.2f}x the trivial app)   "
              + ", ".join(f"{k} {v:.1f}" for k, v in m.items() if k != "mean"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
