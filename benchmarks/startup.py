"""Start-up benchmark: how long `review --help` takes, against a bare Python start.

Runs each command N times in a fresh process (as hyperfine does) and prints the
median and the fastest run; the fastest is the least disturbed by other work on a
busy machine. Then lists the slowest imports of `review --help` (`python -X
importtime`). Exits 1 when the fastest `review --help` takes longer than the
budget (0.1 s), so it can serve as a check.

    python benchmarks/startup.py            # 30 runs of each
    python benchmarks/startup.py --runs 100 --budget 0.1
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "review --help": [sys.executable, "-m", "review", "--help"],
    "review run --help": [sys.executable, "-m", "review", "run", "--help"],
    "review search --help": [sys.executable, "-m", "review", "search", "--help"],
}


def timings(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, check=True, capture_output=True)  # warm the file cache
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def slowest_imports(command: list[str], count: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the top-level imports, slowest first."""
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True, check=True
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("   "):
            rows.append((int(parts[1]), parts[2].strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--budget", type=float, default=0.1, help="seconds (0.1)")
    options = parser.parse_args()
    fastest: dict[str, float] = {}
    print(f"{'command':<22}{'median ms':>11}{'fastest ms':>12}   ({options.runs} runs)")
    for name, command in COMMANDS.items():
        seconds = timings(command, options.runs)
        fastest[name] = min(seconds)
        print(f"{name:<22}{statistics.median(seconds) * 1000:>11.1f}{min(seconds) * 1000:>12.1f}")
    print("\nslowest top-level imports of `review --help` (cumulative ms):")
    for micros, module in slowest_imports(COMMANDS["review --help"], 8):
        print(f"  {micros / 1000:>7.1f}  {module}")
    ok = fastest["review --help"] <= options.budget
    verdict = "within" if ok else "OVER"
    took = fastest["review --help"]
    print(f"\nreview --help: {took:.3f} s, {verdict} the {options.budget} s budget")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
