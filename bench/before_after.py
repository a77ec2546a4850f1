"""Time `today` and `log` of two cadence builds side by side, in one run: a change's start-up cost.

    python bench/before_after.py --before OLD/bin/cadence [--runs 9] [--db DB]

`--before` is the `cadence` of an earlier build (for example a `git worktree` of the commit
before the change, installed into its own virtual environment); the build being measured is
the `cadence` beside this Python. Both run on the same data: the earlier build on `--db` (a
database of its own schema, default the cached 10k database of bench/synth.py) and this one on
a copy that it migrates once, untimed. Each round runs the stack floor, then every case of
both builds in turn (`log` on a fresh copy each time), so the two builds meet the same moments
of the machine; the table gives medians and each case against the floor run just before it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: cases, timing and the table)


def builds(before: str, after: str, old_db: Path, new_db: Path, summary: dict) -> list[bench.Case]:
    day = bench.DAY.isoformat()
    prospect = str(summary["log_ids"][0])
    out = [bench.Case("python -c pass", [sys.executable, "-c", "pass"]),
           bench.Case(f'python -c "{bench.STACK}"', [sys.executable, "-c", bench.STACK])]
    for label, cadence, size in (("before", before, "old"), ("after", after, "new")):
        db = str(old_db if size == "old" else new_db)
        out += [
            bench.Case(f"today --json ({label})", [cadence, "--db", db, "today", "--date", day, "--json"], target="1.3x", db=size),
            bench.Case(f"today view pipe ({label})", [cadence, "--db", db, "today", "--date", day], target="1.3x", db=size, output="pipe"),
            bench.Case(f"log ({label})", [cadence, "--db", "{db}", "log", prospect, "no-answer", "--at", f"{day}T10:00", "--json"],
                       target="1.2x", db=size, fresh_copy=True),
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the cadence executable of the earlier build")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--db", type=Path, default=bench.HERE / ".cache" / "p10000-t100000.db",
                        help="a database the earlier build can open (its .json summary beside it)")
    args = parser.parse_args()
    after = str(Path(sys.executable).with_name("cadence"))
    summary = json.loads(Path(f"{args.db}.json").read_text())  # written by bench/run.py beside its database
    with tempfile.TemporaryDirectory(prefix="cadence-before-after-") as tmp:
        work = Path(tmp)
        env = bench.clean_env(work, work / "pycache")
        old_db, new_db = work / "old.db", work / "new.db"
        shutil.copyfile(args.db, old_db)
        shutil.copyfile(args.db, new_db)
        subprocess.run([after, "--db", str(new_db), "today", "--json"], env=env, capture_output=True, check=True)  # migrates once
        dbs = {"old": {**summary, "path": str(old_db)}, "new": {**summary, "path": str(new_db)}}
        selected = builds(args.before, after, old_db, new_db, summary)
        load = os.getloadavg()[0]
        bench.run(selected, args.runs, env, work, dbs)
        floor = next(c for c in selected if c.argv[-1] == bench.STACK)
        print(f"{args.runs} rounds; load average {load:.2f} before, {os.getloadavg()[0]:.2f} after; "
              f"stack floor {floor.median:.3f} s; machine: {bench.machine()}")
        print(bench.table(selected, floor))


if __name__ == "__main__":
    main()
