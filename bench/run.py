"""Time whole `cadence` processes against the floor of their stack, side by side.

    python bench/run.py                 # every case, 7 runs each, both database sizes
    python bench/run.py --runs 11 --only today,log --sizes 10k
    python bench/run.py --docs          # also refresh the figures in docs/performance.md
    python bench/run.py --importtime today-10k   # where one case's imports go
    python bench/run.py --profile today-100k     # where its time goes (pyinstrument, the `bench` extra)

This driver never imports cadence: it runs the installed `cadence` and the
same `python` as subprocesses. The synthetic databases are built once by
bench/synth.py (through cadence's own code) and cached in bench/.cache/.
Each round runs every case once, in the same order, and the stack floor again
right before each case with a ratio target, so that a slow moment of the machine
weighs on a case and its floor alike; the table shows the median of the rounds
and the median of those paired ratios.
Commands that write (`log`) run on a fresh copy of the database every round.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOC = ROOT / "docs" / "performance.md"
DAY = date(2026, 11, 24)  # a Tuesday
SIZES = {"10k": (10_000, 100_000), "100k": (100_000, 1_000_000)}
STACK = "import sqlmodel, typer, rich"
BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"


@dataclass
class Case:
    name: str
    argv: list[str]
    target: str = ""  # "0.15s" (absolute) or "1.3x" (of the stack floor); "" for the floors
    db: str | None = None  # size key of the database it runs on
    fresh_copy: bool = False  # runs on its own copy of the database each round
    expect: Callable[[str], str | None] | None = None  # checks stdout once; returns a problem or None
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the process
    ratios: list[float] = field(default_factory=list)  # to the stack floor run just before it, round by round
    peak_mb: float = 0.0
    note: str = ""
    output: str = "null"  # where stdout goes: "null" (/dev/null), "pipe" (read and dropped), "pty" (a terminal, 100 columns)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def paired(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None


def pty_pair(columns: int = 100, rows: int = 40) -> tuple[int, int]:
    """A pseudo-terminal (master, slave) of `columns` x `rows`."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return master, slave


def drain(fd: int) -> int:
    """Read `fd` to its end (a pipe closed, or a pty whose other side is closed); the bytes read."""
    total = 0
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the pty's other side is gone
            break
        if not chunk:
            break
        total += len(chunk)
    return total


def terminal_env(env: dict[str, str]) -> dict[str, str]:
    """A colour terminal's environment: what a salesperson's shell has."""
    return {**{k: v for k, v in env.items() if k != "NO_COLOR"}, "TERM": "xterm-256color"}


def timed(argv: list[str], env: dict[str, str], output: str = "null") -> tuple[float, float, float, int, str]:
    """Wall time, CPU time, peak memory (MB), exit code and stderr of one process, its stdout drained to the end."""
    import threading

    start = time.perf_counter()
    reader = None
    if output == "null":
        process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elif output == "pipe":
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        reader = threading.Thread(target=drain, args=(process.stdout.fileno(),))
    else:
        master, slave = pty_pair()
        process = subprocess.Popen(argv, env=terminal_env(env), stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        reader = threading.Thread(target=lambda: (drain(master), os.close(master)))
    if reader:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    if reader:
        reader.join()  # the time includes the reader taking the last bytes, as a terminal does
    elapsed = time.perf_counter() - start
    if output == "pipe":
        process.stdout.close()
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, stderr


def clean_env(home: Path, pycache: Path) -> dict[str, str]:
    """The environment of every timed process: no user config, UTC, no colour, compiled bytecode kept.

    Bytecode goes to its own folder: every process, floors included, runs from compiled
    modules as an installed package does (even where PYTHONDONTWRITEBYTECODE is set).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CADENCE_", "XDG_", "PYTHONDONTWRITEBYTECODE"))}
    env.update(
        PYTHONPYCACHEPREFIX=str(pycache),
        TZ="UTC",
        NO_COLOR="1",
        COLUMNS="100",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        CADENCE_DB=str(home / "empty.db"),
    )
    return env


def build_databases(python: str, sizes: list[str], cache: Path, env: dict[str, str], rebuild: bool) -> dict[str, dict]:
    built = {}
    for size in sizes:
        prospects, touches = SIZES[size]
        out = cache / f"p{prospects}-t{touches}.db"
        argv = [python, str(HERE / "synth.py"), "--prospects", str(prospects), "--touches", str(touches),
                "--day", DAY.isoformat(), "--out", str(out)] + (["--rebuild"] if rebuild else [])
        print(f"database {size}: {out.name} (built once through cadence's own code; may take minutes)", file=sys.stderr)
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"building the {size} database failed:\n{result.stderr}")
        built[size] = json.loads(result.stdout.strip().splitlines()[-1])
    return built


def has_command(cadence: str, command: str, env: dict[str, str]) -> bool:
    result = subprocess.run([cadence, command, "--help"], env=env, capture_output=True, text=True)
    return result.returncode == 0


def json_list(minimum: int) -> Callable[[str], str | None]:
    def check(stdout: str) -> str | None:
        items = json.loads(stdout)
        if not isinstance(items, list) or len(items) < minimum:
            return f"expected a JSON list of at least {minimum} items, got {len(items) if isinstance(items, list) else type(items).__name__}"
        return None

    return check


def cases(python: str, cadence: str, dbs: dict[str, dict], env: dict[str, str], only: set[str] | None) -> list[Case]:
    day = DAY.isoformat()
    out = [
        Case("python -c pass", [python, "-c", "pass"]),
        Case(f'python -c "{STACK}"', [python, "-c", STACK]),
        Case("cadence --help", [cadence, "--help"], target="0.15s"),
        Case("cadence cadences list", [cadence, "cadences", "list"], target="0.15s"),
    ]
    stats = has_command(cadence, "stats", env)
    listing = has_command(cadence, "list", env)
    for size, summary in dbs.items():
        db = summary["path"]
        out.append(Case(f"today {size}", [cadence, "--db", db, "today", "--date", day, "--json"],
                        target="1.3x" if size == "10k" else "2x", db=size, expect=json_list(min(100, summary["due"]))))
        # What people look at: the terminal view into a pipe and on a terminal, the brief list, a long history.
        view = [cadence, "--db", db, "today", "--date", day]
        out.append(Case(f"today view pipe {size}", view, target="1.3x", db=size, output="pipe"))
        out.append(Case(f"today view pty {size}", view, target="1.3x", db=size, output="pty"))
        out.append(Case(f"today brief {size}", view + ["--brief"], target="1.2x", db=size, output="pty"))
        for long in summary.get("long_haul", []):
            out.append(Case(f"show {long['touches']} touches {size}", [cadence, "--db", db, "show", str(long["id"])],
                            target="1.3x", db=size, output="pty"))
        prospect = str(summary["log_ids"][0])
        out.append(Case(f"log {size}", [cadence, "--db", "{db}", "log", prospect, "no-answer", "--at", f"{day}T10:00", "--json"],
                        target="1.2x", db=size, fresh_copy=True))
        if summary["log_names"]:
            out.append(Case(f"log by name {size}", [cadence, "--db", "{db}", "log", summary["log_names"][0], "no-answer",
                                                    "--at", f"{day}T10:00", "--json"], target="1.2x", db=size, fresh_copy=True))
        if stats:
            out.append(Case(f"stats {size}", [cadence, "--db", db, "stats", "--json"], target="3x", db=size))
            out.append(Case(f"stats view {size}", [cadence, "--db", db, "stats"], target="3x", db=size, output="pty"))
        if listing:  # `list` reads the whole pipeline, not one day: held to `today`'s target
            target = "1.3x" if size == "10k" else "2x"
            out.append(Case(f"list engaged {size}", [cadence, "--db", db, "list", "--status", "engaged", "--json"], target=target, db=size))
            out.append(Case(f"list search {size}", [cadence, "--db", db, "list", "--search", "vandelay", "--json"],
                            target=target, db=size, expect=json_list(1)))
    if not stats:
        print("skipped: `cadence stats` (this cadence has no stats command yet); run again once it exists", file=sys.stderr)
    if only:
        out = [c for c in out if c.target == "" or any(c.name.startswith(o) or c.name.replace(" ", "-") == o for o in only)]
    return out


def run(selected: list[Case], runs: int, env: dict[str, str], work: Path, dbs: dict[str, dict]) -> None:
    def argv_for(case: Case) -> list[str]:
        if not case.fresh_copy:
            return case.argv
        copy = work / f"copy-{case.db}.db"
        for suffix in ("-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
        shutil.copyfile(dbs[case.db]["path"], copy)
        with open(copy, "rb+") as handle:  # on disk before the clock starts: SQLite's checkpoint would flush it all
            os.fsync(handle.fileno())
        return [str(copy) if a == "{db}" else a for a in case.argv]

    for case in selected:  # once untimed: fills the page cache, checks the command works
        argv = argv_for(case)
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{case.name} failed ({' '.join(argv)}):\n{result.stderr}")
        if case.expect and (problem := case.expect(result.stdout)):
            sys.exit(f"{case.name}: {problem}")
    floor = next(c for c in selected if c.argv[-1] == STACK)

    def measure(case: Case, round_: int) -> float:
        elapsed, cpu, peak, code, stderr = timed(argv_for(case), env, case.output)
        if code != 0:
            sys.exit(f"{case.name} failed in round {round_ + 1}:\n{stderr}")
        case.times.append(elapsed)
        case.cpu.append(cpu)
        case.peak_mb = max(case.peak_mb, peak)
        return elapsed

    for round_ in range(runs):
        for case in selected:
            if case.target.endswith("x"):
                # The floor again right before it: a busy moment of the machine weighs on both alike.
                before = measure(floor, round_)
                case.ratios.append(measure(case, round_) / before)
            else:
                measure(case, round_)
        print(f"round {round_ + 1}/{runs} done", file=sys.stderr)


def machine() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {"cpus": str(os.cpu_count()), "cpu": cpu or "unknown", "ram": ram or "unknown",
            "os": f"{platform.system()} {platform.release()}"}


def table(selected: list[Case], floor: Case) -> str:
    rows = ["| case | median | min | x floor | paired x floor | CPU median | CPU x floor | peak RSS | target | verdict |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    floor_cpu = statistics.median(floor.cpu)
    for case in selected:
        cpu = statistics.median(case.cpu)
        paired = f"{case.paired:.2f}" if case.paired is not None else ""
        rows.append(
            f"| `{case.name}` | {case.median:.3f} s | {min(case.times):.3f} s | {case.median / floor.median:.2f} | {paired} | "
            f"{cpu:.3f} s | {cpu / floor_cpu:.2f} | {case.peak_mb:.0f} MB | {case.target or '(floor)'} | {verdict(case, floor)} |"
        )
    return "\n".join(rows)


def verdict(case: Case, floor: Case) -> str:
    """ok or miss: an absolute target on the median, a ratio on the median of the paired ratios."""
    if case.target.endswith("s"):
        limit = float(case.target[:-1])
        return "ok" if case.median <= limit else f"**miss** (limit {limit:.3f} s)"
    if case.target.endswith("x") and case.paired is not None:
        limit = float(case.target[:-1])
        return "ok" if case.paired <= limit else f"**miss** ({case.paired:.2f} x against {limit:g} x)"
    return ""


def report(selected: list[Case], dbs: dict[str, dict], python: str, runs: int, load: tuple[float, float]) -> str:
    floor = next(c for c in selected if c.argv[-1] == STACK)
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True).stdout.strip()
    info = machine()
    lines = [
        f"Measured {date.today().isoformat()} with `python bench/run.py --runs {runs}`: medians of {runs} rounds, "
        f"each round running every case once in turn, and the stack floor (`python -c \"{STACK}\"`) again right "
        f"before each case with a ratio target. Stack floor: {floor.median:.3f} s wall (median of its "
        f"{len(floor.times)} runs), {statistics.median(floor.cpu):.3f} s CPU. *x floor* divides the medians; "
        f"*paired x floor* is the median, over the rounds, of each run divided by the floor run just before it, "
        f"which a busy moment of the machine moves less; ratio verdicts use it.",
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['ram']} RAM, {info['os']}, Python {version}; "
        f"load average {load[0]:.2f} before the rounds and {load[1]:.2f} after.",
        "",
    ]
    for size, summary in dbs.items():
        mix = ", ".join(f"{k} {v}" for k, v in sorted(summary["status"].items(), key=lambda kv: -kv[1]))
        lines.append(
            f"- {size} database: {summary['prospects']:,} prospects, {summary['touches']:,} touches; "
            f"on {summary['day']} {summary['due']} items are due ({summary['due_today']} on the day, the rest overdue). "
            f"Statuses: {mix}."
        )
    lines += ["", table(selected, floor)]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    """Replace the figures between the markers in docs/performance.md; everything else is kept."""
    block = f"{BEGIN}\n{text}\n{END}"
    current = DOC.read_text() if DOC.exists() else ""
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(head + block + tail)
    else:
        DOC.write_text((current.rstrip() + "\n\n" if current else "# Performance\n\n") + "## Figures\n\n" + block + "\n")
    print(f"updated {DOC.relative_to(ROOT)}", file=sys.stderr)


def importtime(case: Case, python: str, env: dict[str, str], top: int = 15) -> str:
    """Where one case's import time goes, by package (each module's own time), from `python -X importtime`."""
    argv = case.argv
    if argv[0].endswith("cadence"):
        argv = [python, "-X", "importtime", "-m", "cadence"] + argv[1:]
    else:
        argv = [argv[0], "-X", "importtime"] + argv[1:]
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    totals: dict[str, int] = {}
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)", line)
        if match:
            package = match.group(2).split(".")[0]
            totals[package] = totals.get(package, 0) + int(match.group(1))
    rows = sorted(totals.items(), key=lambda kv: -kv[1])
    shown = [f"{us / 1000:8.1f} ms  {name}" for name, us in rows[:top]]
    rest = sum(us for _, us in rows[top:])
    return "\n".join(shown + [f"{rest / 1000:8.1f} ms  ({len(rows) - top} more)", f"{sum(totals.values()) / 1000:8.1f} ms  in all"])


def profile(case: Case, python: str, env: dict[str, str]) -> str:
    """A pyinstrument profile of one case, as text."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        argv = [python, "-m", "pyinstrument", "-i", "0.0005", "-o", report.name, "-m", "cadence"] + case.argv[1:]
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
        if "No module named pyinstrument" in result.stderr:
            sys.exit("--profile needs pyinstrument: pip install 'prospect-cadence[bench]'")
        return report.read()


def main() -> None:
    parser = argparse.ArgumentParser(description="Time cadence commands against the floor of their stack.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="10k,100k", help="databases to build and use: 10k, 100k")
    parser.add_argument("--only", default="", help="comma-separated case prefixes (the floors always run)")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--cadence", default=str(Path(sys.executable).with_name("cadence")))
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached databases")
    parser.add_argument("--docs", action="store_true", help="write the figures into docs/performance.md")
    parser.add_argument("--importtime", metavar="CASE", help="show where one case's import time goes, then stop")
    parser.add_argument("--profile", metavar="CASE", help="profile one case with pyinstrument, then stop")
    args = parser.parse_args()

    sizes = [s for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="cadence-bench-") as tmp:
        work = Path(tmp)
        env = clean_env(work, args.cache / "pycache")
        dbs = build_databases(args.python, sizes, args.cache, env, args.rebuild)
        only = {o.strip() for o in args.only.split(",") if o.strip()} or None
        selected = cases(args.python, args.cadence, dbs, env, only)
        wanted = args.importtime or args.profile
        if wanted:
            case = next((c for c in selected if c.name.replace(" ", "-") == wanted), None)
            if case is None:
                sys.exit(f"no case {wanted!r}: " + ", ".join(c.name.replace(" ", "-") for c in selected))
            if case.fresh_copy:
                copy = work / "copy.db"
                shutil.copyfile(dbs[case.db]["path"], copy)
                case.argv = [str(copy) if a == "{db}" else a for a in case.argv]
            subprocess.run(case.argv, env=env, capture_output=True)  # warm the caches, as the timed rounds do
            if case.fresh_copy:
                shutil.copyfile(dbs[case.db]["path"], copy)
            print(importtime(case, args.python, env) if args.importtime else profile(case, args.python, env))
            return
        load_before = os.getloadavg()[0]
        run(selected, args.runs, env, work, dbs)
        text = report(selected, dbs, args.python, args.runs, (load_before, os.getloadavg()[0]))
    print(text)
    if args.docs:
        write_doc(text)


if __name__ == "__main__":
    main()
