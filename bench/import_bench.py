"""Time `cadence import` of a 100,000-row CSV against `sqlite-utils insert --csv` of the same file.

    pip install -e '.[bench]'
    python bench/import_bench.py                  # 5 rounds, 100,000 rows
    python bench/import_bench.py --rows 20000 --runs 3
    python bench/import_bench.py --docs           # also write the figures into docs/performance.md
    python bench/import_bench.py --million --docs # the 1,000,000-row case, one round (long: minutes)

sqlite-utils is the peer: it streams the CSV into SQLite with no validation,
so it is close to the floor of "read a CSV in Python and insert its rows".
cadence does more per row (column mapping, phone parsing to E.164 with a time
zone, email syntax, duplicate checks against the file and the database,
enrolment), and the target is at most 1.5x the peer's time with a peak memory
of at most 150 MB.

Each round runs both tools once, in alternating order, each on a fresh
database in a temporary folder. Peak memory is the child's ru_maxrss (from
wait4), so it is the importing process alone, not this script. The generated
file is cached in bench/.cache/.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
DOC = ROOT / "docs" / "performance.md"


def markers(rows: int) -> tuple[str, str]:
    """The lines around one row count's figures in docs/performance.md (100,000 rows: the original pair)."""
    tag = "" if rows == 100_000 else f" --rows {rows}"
    return f"<!-- bench/import_bench.py{tag}: begin -->", f"<!-- bench/import_bench.py{tag}: end -->"

TARGET_RATIO = 1.5
TARGET_MB = 150
HEADER = ["First Name", "Last Name", "Company", "Job Title", "Email", "Phone", "Mobile", "City", "Industry", "Lead Source"]
FIRST = ["Megan", "Darnell", "Ana María", "Tom", "Priya", "Graham", "Lucia", "Kevin", "Samantha", "René", "Marcus",
         "Hannah", "Wei", "Fatima", "Julia", "Pedro", "Nora", "Oskar", "Zoë", "François", "Liam", "Olivia"]
LAST = ["Holloway", "Price", "López", "Whitaker", "Raman", "O'Neill", "Bianchi", "Yoon", "Greer", "Dubois", "Bell",
        "Schultz", "Chen", "Haddad", "Novak", "Alves", "Lindqvist", "Berg", "Müller", "Lefèvre", "Gallagher", "Bennett"]
TITLES = ["Director of Operations", "Practice Manager", "Head of Procurement", "Plant Manager", "VP of Sales", "Owner"]
INDUSTRIES = ["Logistics", "Healthcare", "Food & Beverages", "Manufacturing", "Software", "Real Estate"]
AREAS = [201, 212, 303, 305, 312, 404, 415, 503, 602, 617, 646, 702, 713, 720, 773, 818, 917]


def generate(path: Path, rows: int) -> None:
    """A leads file like a CRM export: unique people, a few thousand companies, US phones in mixed formats."""
    rng = random.Random(20261124)
    formats = ["({a}) {x}-{y:04d}", "{a}-{x}-{y:04d}", "+1 {a} {x} {y:04d}", "{a}.{x}.{y:04d}"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"Company {i % 3000}"
            phone = rng.choice(formats).format(a=rng.choice(AREAS), x=rng.randint(200, 999), y=rng.randint(0, 9999))
            mobile = "" if i % 3 else f"({rng.choice(AREAS)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
            local = re.sub(r"[^a-z]", "", (first + last).lower().replace("é", "e").replace("ë", "e").replace("ç", "c"))
            email = f"{local}.{i}@company{i % 3000}.example"
            writer.writerow([first, last, company, rng.choice(TITLES), email, phone, mobile, "Springfield",
                             rng.choice(INDUSTRIES), "Trade Show"])


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident memory (MB) of one child; refuses a failed run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)  # the child's own rusage, not this script's
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} exited {child.returncode}:\n{err.read().decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports kilobytes


def machine() -> str:
    """The machine in one line, from the same probe as bench/run.py."""
    sys.path.insert(0, str(HERE))
    from run import machine as probe  # bench/run.py: the other benchmarks' driver

    found = probe()
    return (f"{found['cpus']} CPUs ({found['cpu']}), {found['ram']} RAM, {found['os']}, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--million", action="store_true", help="the 1,000,000-row case: --rows 1000000 --runs 1")
    parser.add_argument("--cadence", default=str(Path(sys.executable).parent / "cadence"), help="the cadence executable")
    parser.add_argument("--sqlite-utils", dest="sqlite_utils", default=str(Path(sys.executable).parent / "sqlite-utils"))
    parser.add_argument("--docs", action="store_true", help="write the figures into docs/performance.md")
    args = parser.parse_args()
    if args.million:
        args.rows, args.runs = 1_000_000, 1
    for tool in (args.cadence, args.sqlite_utils):
        if not Path(tool).exists():
            raise SystemExit(f"{tool}: not found; install with pip install -e '.[bench]'")

    CACHE.mkdir(exist_ok=True)
    leads = CACHE / f"leads-{args.rows}.csv"
    if not leads.exists():
        generate(leads, args.rows)
    size_mb = leads.stat().st_size / 1e6
    print(f"{leads.name}: {args.rows:,} rows, {size_mb:.1f} MB; {args.runs} rounds on {machine()}")

    times: dict[str, list[float]] = {"cadence": [], "sqlite-utils": []}
    cpu: dict[str, list[float]] = {"cadence": [], "sqlite-utils": []}
    memory: dict[str, list[float]] = {"cadence": [], "sqlite-utils": []}
    for round_ in range(args.runs):
        order = ["cadence", "sqlite-utils"] if round_ % 2 == 0 else ["sqlite-utils", "cadence"]
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "CADENCE_DB": str(Path(folder) / "cadence.db"), "XDG_CONFIG_HOME": folder,
                   "XDG_DATA_HOME": folder, "TZ": "UTC"}
            env.pop("CADENCE_USER", None)
            argv = {
                "cadence": [args.cadence, "import", str(leads), "--at", "2026-11-24T09:00", "--json"],
                "sqlite-utils": [args.sqlite_utils, "insert", str(Path(folder) / "peer.db"), "leads", str(leads), "--csv"],
            }
            for name in order:
                seconds, busy, peak = run(argv[name], env)
                times[name].append(seconds)
                cpu[name].append(busy)
                memory[name].append(peak)
        print(f"round {round_ + 1}: cadence {times['cadence'][-1]:.2f} s (CPU {cpu['cadence'][-1]:.2f} s), "
              f"{memory['cadence'][-1]:.0f} MB; sqlite-utils {times['sqlite-utils'][-1]:.2f} s "
              f"(CPU {cpu['sqlite-utils'][-1]:.2f} s), {memory['sqlite-utils'][-1]:.0f} MB")

    ours, peer = statistics.median(times["cadence"]), statistics.median(times["sqlite-utils"])
    ours_cpu, peer_cpu = statistics.median(cpu["cadence"]), statistics.median(cpu["sqlite-utils"])
    ratio, cpu_ratio = ours / peer, ours_cpu / peer_cpu
    peak = max(memory["cadence"])
    rows = [
        ("`sqlite-utils insert DB leads FILE --csv`", f"{peer:.2f} s", "1.00x", f"{peer_cpu:.2f} s", "1.00x",
         f"{max(memory['sqlite-utils']):.0f} MB", "the peer"),
        ("`cadence import FILE`", f"{ours:.2f} s", f"{ratio:.2f}x", f"{ours_cpu:.2f} s", f"{cpu_ratio:.2f}x",
         f"{peak:.0f} MB",
         f"time {'met' if ratio <= TARGET_RATIO else 'MISSED'} (≤ {TARGET_RATIO}x); "
         f"memory {'met' if peak <= TARGET_MB else 'MISSED'} (≤ {TARGET_MB} MB)"),
    ]
    table = ["| command | median wall time | ratio | median CPU time | CPU ratio | peak memory | target |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    print("\n".join(table))
    print(f"rows per second: cadence {args.rows / ours:,.0f}, sqlite-utils {args.rows / peer:,.0f}")
    if args.docs:
        write_docs(table, args, size_mb, times, cpu)


def write_docs(table: list[str], args, size_mb: float, times: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    """Replace the figures between the markers under "## Import" (creating the section or file if missing)."""
    BEGIN, END = markers(args.rows)
    runs = "; ".join(
        f"{name}: " + ", ".join(f"{t:.2f} ({c:.2f} CPU)" for t, c in zip(values, cpu[name])) for name, values in times.items()
    )
    block = "\n".join([
        BEGIN,
        f"Measured {date.today().isoformat()} on {machine()} by `python bench/import_bench.py"
        f"{' --million' if args.million else '' if args.rows == 100_000 else f' --rows {args.rows}'}"
        f"{'' if args.million else f' --runs {args.runs}'} --docs`: "
        f"{args.rows:,} rows ({size_mb:.1f} MB), medians of {args.runs} rounds, each on a fresh database.",
        "",
        *table,
        "",
        f"All rounds, wall seconds (CPU seconds): {runs}. Load average when it ran: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        END,
    ])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    elif markers(100_000)[1] in text:  # another row count's figures: after them
        at = text.index(markers(100_000)[1]) + len(markers(100_000)[1])
        text = text[:at] + "\n\n" + block + text[at:]
    elif "\n## Import\n" in text:
        at = text.index("\n## Import\n") + len("\n## Import\n")
        text = text[:at] + "\n" + block + "\n" + text[at:]
    else:
        text = text.rstrip("\n") + "\n\n## Import\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
