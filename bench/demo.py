"""Budget: build the full Lào Cai demo (generate, import, link, coverage) on SQLite in <= 3 min.

    .venv/bin/python bench/demo.py [--scale 1.0] [--files DIR]

Runs the README's main command as a user does (`everydoor demo --no-serve`), in a child process, on
a fresh var/ (a new SQLite database) in a temporary folder, and times it from launch to exit. With
--files, the demo files already in DIR are used (the generation is then not timed): re-running the
build alone, after a change to the imports, link or coverage. No baseline: the budget is absolute.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 180
STAGE = re.compile(r"^(?P<name>[\w ]+): done in (?P<seconds>[\d.]+) s$")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--files", type=Path, default=None, help="demo files already generated at --scale")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="everydoor-demo-bench-") as tmp:
        files = Path(tmp) / "files"
        if args.files:
            shutil.copytree(args.files, files)
        env = {**os.environ, "EVERYDOOR_VAR": tmp}
        env.pop("DATABASE_URL", None)  # the embedded default: SQLite under var/
        command = [str(Path(sys.executable).with_name("everydoor")), "demo", "--no-serve",
                   "--scale", str(args.scale), "--out", str(files)]
        started = time.perf_counter()
        run = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    if run.returncode:
        sys.exit(f"everydoor demo failed ({run.returncode}):\n{run.stderr[-3000:]}")
    stages = [(m["name"], float(m["seconds"])) for m in map(STAGE.match, run.stderr.splitlines()) if m]
    warnings = [line for line in run.stderr.splitlines() if "warning" in line.lower()]
    print(f"{'stage':<22} {'seconds':>8}")
    for name, stage_s in stages:
        print(f"{name:<22} {stage_s:>8.1f}")
    print(f"{'wall, launch to exit':<22} {seconds:>8.1f}" + ("  (generation not timed: --files)" if args.files else ""))
    for line in warnings:
        print(f"warning printed: {line}")
    judged = not args.files and args.scale == 1.0
    verdict = ("pass" if seconds <= BUDGET_S else "FAIL") if judged else "not judged (not the full build)"
    print(f"budget (scale 1, generation included, <= {BUDGET_S} s): {verdict}")


if __name__ == "__main__":
    main()
