"""The team database under load (issue 17, point 4): reps running `today` and `log` at once on PostgreSQL.

    flock /work/agents/bench.lock python bench/team_bench.py --server postgresql+psycopg://user:pw@host:port/postgres

Builds once (bench/synth.py, through cadence's migrations, then COPY and the running
totals rebuilt) a database of 100,000 prospects, 1,000,000 touches and 20 reps,
kept as cadence_team_bench_base and reused while its size and schema match. Each
run works on a fresh copy of it (cadence_team_bench, CREATE DATABASE ... TEMPLATE).

8 worker processes, each a different rep (CADENCE_USER=rep01, rep02, ...), loop for
60 seconds: `cadence today --date DAY --json`, then `cadence log ID OUTCOME --date DAY
--note "team-bench REP wWORKER N" --json` on one of the prospects that list gave them, each a
subprocess of the installed `cadence` console script, timed by its wall clock (and
its CPU time). `--in-process` runs a second phase, on another fresh copy, where each
worker calls the same Pipeline methods in its own process: the same work without
Python's start-up.

Then the integrity check (`check`): every log a worker saw succeed is exactly one
touch (found by its note), no other touch appeared, each prospect's touch count grew
by its successful logs, and each prospect's state agrees with its touch log (the
state stored before each new touch is the state the previous log reported, and the
prospect is where the last one left it). Prints the table, the check and the
server's settings; --json FILE keeps them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, time as clock_time, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pg_target  # noqa: E402
import synth  # noqa: E402

DAY = date(2026, 11, 24)  # a Tuesday, as bench/run.py
NAME = "cadence_team_bench"  # the run's database; the base one is NAME_base
NOTE = "team-bench"  # every touch the workers log carries "team-bench REP wWORKER N"


def server_url(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def ensure_base(url: str, prospects: int, touches: int, reps: int, due: int) -> dict:
    """The summary of the base database at `url`, built first unless one of the same size is there."""
    from cadence.store.db import HEAD

    long_haul = (500, 3000)
    key = {"generator": synth.GENERATOR, "schema": HEAD, "seed": 7, "day": DAY.isoformat(), "prospects": prospects,
           "long_haul_wanted": list(long_haul), "reps": reps, "touches_wanted": touches, "due_wanted": due}
    return synth.ensure(url, key, False, lambda: synth.build(prospects, touches, DAY, due, url, 7, long_haul, reps))


# ---------------------------------------------------------------- the workers


def outcome_for(item: dict, rng: random.Random) -> str:
    """What a rep would log for this item: an email sent, a task done, mostly no answer on a call."""
    if item["channel"] == "email":
        return "sent"
    if item["channel"] != "phone":
        return "done"
    return rng.choices(("no-answer", "voicemail", "gatekeeper"), (6, 3, 1))[0]


def pick(items: list[dict], rng: random.Random, first: bool = False) -> dict | None:
    """One item of the list that can be logged as it stands (not one missing a phone or email): at random, or the first."""
    usable = [item for item in items if not item.get("missing")]
    if not usable:
        return None
    return usable[0] if first else rng.choice(usable)


class Subprocesses:
    """Runs each command as a process of the installed `cadence`, as the rep's shell would."""

    def __init__(self, url: str, rep: str):
        self.command = str(Path(sys.executable).with_name("cadence"))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CADENCE_", "XDG_", "PYTHONDONTWRITEBYTECODE"))}
        home = HERE / ".cache" / "team-home"
        self.env.update(CADENCE_DB=url, CADENCE_USER=rep, TZ="UTC", NO_COLOR="1", PYTHONPYCACHEPREFIX=str(HERE / ".cache" / "pycache"),
                        XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))

    def run(self, *args: str) -> tuple[float, float, object, str]:
        """(wall seconds, CPU seconds, the JSON printed or None, the error line)."""
        used = os.times()
        started = time.perf_counter()
        done = subprocess.run([self.command, *args, "--json"], env=self.env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = os.times()
        cpu = after.children_user + after.children_system - used.children_user - used.children_system
        if done.returncode != 0:
            return wall, cpu, None, (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        return wall, cpu, json.loads(done.stdout), ""

    def today(self):
        return self.run("today", "--date", DAY.isoformat())

    def log(self, prospect_id: int, outcome: str, note: str):
        return self.run("log", str(prospect_id), outcome, "--date", DAY.isoformat(), "--note", note)


class InProcess:
    """The same two commands as Pipeline calls in this process, on one engine: no start-up."""

    def __init__(self, url: str, rep: str):
        from cadence.pipeline.core import Pipeline
        from cadence.store.db import open_engine

        self.pipe = Pipeline(open_engine(url), user=rep, system_zone=timezone.utc)
        self.at = datetime.combine(DAY, clock_time(12), timezone.utc)

    def timed(self, call) -> tuple[float, float, object, str]:
        from cadence.errors import CadenceError

        used, started = time.process_time(), time.perf_counter()
        try:
            value, error = call(), ""
        except CadenceError as exc:
            value, error = None, str(exc)
        return time.perf_counter() - started, time.process_time() - used, value, error

    def today(self):
        return self.timed(lambda: [item.to_json() for item in self.pipe.today_capped(self.at, DAY, None).items])

    def log(self, prospect_id: int, outcome: str, note: str):
        from cadence.domain.engine import parse_outcome

        return self.timed(lambda: self.pipe.log(str(prospect_id), parse_outcome(outcome), self.at, note=note).to_json())


def work(mode: str, url: str, rep: str, seconds: float, seed: int, out: str, first: bool = False) -> None:
    """One rep's loop for `seconds`: their list, then a log on one of its prospects (`first`: the first one
    that can be logged, so two workers of one rep collide); one JSON line per command."""
    rng = random.Random(seed)
    runner = Subprocesses(url, rep) if mode == "subprocess" else InProcess(url, rep)
    deadline = time.monotonic() + seconds
    with open(out, "w") as records:
        def record(**fields) -> None:
            records.write(json.dumps({"rep": rep, **fields}) + "\n")

        n = 0
        while time.monotonic() < deadline:
            wall, cpu, items, error = runner.today()
            record(command="today", wall=wall, cpu=cpu, ok=not error, error=error, listed=len(items or []))
            item = pick(items or [], rng, first)
            if item is None:
                if not error:
                    break  # the rep's day is done
                continue
            n += 1
            note = f"{NOTE} {rep} w{seed} {n}"
            outcome = outcome_for(item, rng)
            wall, cpu, result, error = runner.log(item["prospect_id"], outcome, note)
            record(command="log", wall=wall, cpu=cpu, ok=not error, error=error, prospect_id=item["prospect_id"],
                   outcome=outcome, note=note, result=result)


def run_workers(mode: str, url: str, reps: list[str], seconds: float, folder: Path, first: bool = False) -> list[dict]:
    """Start one process per rep at once (a rep named twice works in two), wait for all, return every command timed."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a clean interpreter each, no engine shared by fork
    folder.mkdir(parents=True, exist_ok=True)
    outs = [folder / f"{mode}-{n}-{rep}.jsonl" for n, rep in enumerate(reps)]
    workers = [context.Process(target=work, args=(mode, url, rep, seconds, n, str(out), first))
               for n, (rep, out) in enumerate(zip(reps, outs))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [json.loads(line) for out in outs for line in out.read_text().splitlines()]


# ---------------------------------------------------------------- the check


def touch_counts(url: str) -> dict[int, int]:
    """Touches per prospect."""
    with pg_target.connect(url) as connection:
        return dict(connection.execute("SELECT prospect_id, count(*) FROM touch GROUP BY prospect_id").fetchall())


def check(url: str, before: dict[int, int], records: list[dict]) -> dict:
    """What the database says about the workers' logs: lists of what went wrong, all empty when nothing did.

    lost: notes of successful logs with no touch; doubled: notes with more than one touch;
    unreported: bench touches of a log that failed or was never run; counts: prospects whose
    touch count did not grow by their successful logs; states: prospects whose stored state
    disagrees with what their logs reported.
    """
    logs = [r for r in records if r["command"] == "log"]
    ok = {r["note"]: r for r in logs if r["ok"]}
    with pg_target.connect(url) as connection:
        found = connection.execute(
            "SELECT id, note, prospect_id, state_before FROM touch WHERE note LIKE %s ORDER BY id", (NOTE + " %",)).fetchall()
        touched = sorted({r["prospect_id"] for r in logs})
        rows = {pid: (status, step, due_on) for pid, status, step, due_on in connection.execute(
            "SELECT id, status, step, due_on FROM prospect WHERE id = ANY(%s)", (touched,)).fetchall()}
    after = touch_counts(url)
    seen: dict[str, int] = {}
    for _, note, _, _ in found:
        seen[note] = seen.get(note, 0) + 1
    report = {
        "logged": len(ok),
        "touches_found": len(found),
        "lost": sorted(note for note in ok if note not in seen),
        "doubled": sorted(note for note, n in seen.items() if n > 1),
        "unreported": sorted(note for note in seen if note not in ok),
    }
    grew = {pid: 0 for pid in set(before) | set(after)}
    for r in ok.values():
        grew[r["prospect_id"]] = grew.get(r["prospect_id"], 0) + 1
    report["counts"] = sorted(pid for pid, n in grew.items() if after.get(pid, 0) - before.get(pid, 0) != n)
    report["states"] = _state_mismatches(found, ok, rows)
    report["clean"] = not any(report[k] for k in ("lost", "doubled", "unreported", "counts", "states"))
    return report


def _agrees(reported: dict, status: str, step, due_on) -> bool:
    """Whether a state (status, step, due date) is the one a log reported leaving."""
    due = due_on.isoformat() if isinstance(due_on, date) else due_on
    if reported["status"] != status or reported["next_due"] != due:
        return False
    return reported["next_step"] is None or reported["next_step"] == step


def _state_mismatches(found, ok: dict, rows: dict) -> list[int]:
    """Prospects where a touch's stored state before, or the prospect itself, is not what the previous log reported."""
    wrong = set()
    previous: dict[int, dict] = {}  # prospect -> the result of its latest successful log so far, in touch order
    for _, note, pid, state_before in found:
        if pid in previous:
            if not _agrees(previous[pid], state_before["status"], state_before["step"], state_before["due_on"]):
                wrong.add(pid)
        if note in ok:
            previous[pid] = ok[note]["result"]
    for pid, result in previous.items():
        if pid not in rows or not _agrees(result, *rows[pid]):
            wrong.add(pid)
    return sorted(wrong)


# ---------------------------------------------------------------- where the time goes


def explain(url: str, rep: str) -> list[dict]:
    """EXPLAIN ANALYZE of every SELECT that `today` and then `log` (of the first item) send, as this rep."""
    from sqlalchemy import event

    runner = InProcess(url, rep)
    engine = runner.pipe.engine
    sent: list[tuple[str, str, object]] = []
    command = ["today"]

    def keep(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            sent.append((command[0], statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    _, _, items, _ = runner.today()
    item = pick(items or [], random.Random(0))
    if item is not None:
        command[0] = "log"
        runner.log(item["prospect_id"], outcome_for(item, random.Random(0)), f"{NOTE} explain")
    event.remove(engine, "before_cursor_execute", keep)
    plans = []
    with engine.connect() as connection:
        for name, statement, parameters in sent:
            lines = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
            plans.append({"command": name, "statement": " ".join(statement.split())[:300], "plan": lines})
        connection.rollback()  # a FOR UPDATE explained takes row locks: give them back
    engine.dispose()
    return plans


# ---------------------------------------------------------------- the report


def table(records: list[dict]) -> list[dict]:
    """Per command: n, median, p95 and max wall seconds, median CPU seconds, errors."""
    lines = []
    for command in ("today", "log"):
        done = [r for r in records if r["command"] == command]
        walls = sorted(r["wall"] for r in done if r["ok"]) or [0.0]
        p95 = statistics.quantiles(walls, n=20, method="inclusive")[18] if len(walls) > 1 else walls[0]
        lines.append({"command": command, "n": len(done), "median": statistics.median(walls), "p95": p95, "max": walls[-1],
                      "cpu_median": statistics.median([r["cpu"] for r in done] or [0.0]),
                      "errors": sum(not r["ok"] for r in done)})
    return lines


def show(lines: list[dict], title: str) -> str:
    out = [title, f"{'command':<8} {'n':>5} {'median':>8} {'p95':>8} {'max':>8} {'cpu med':>8} {'errors':>6}"]
    for line in lines:
        out.append(f"{line['command']:<8} {line['n']:>5} {line['median']:>7.3f}s {line['p95']:>7.3f}s {line['max']:>7.3f}s "
                   f"{line['cpu_median']:>7.3f}s {line['errors']:>6}")
    return "\n".join(out)


def phase(mode: str, server: str, name: str, reps: list[str], seconds: float, first: bool = False) -> dict:
    """One timed run on a fresh copy of the base database, and its check."""
    url = server_url(server, name)
    pg_target.recreate(url, template=f"{name}_base")
    before = touch_counts(url)
    if mode == "subprocess":  # untimed: compiled modules and the page cache in place, as after yesterday's use
        Subprocesses(url, reps[0]).today()
    load = os.getloadavg()[0]
    started = time.monotonic()
    records = run_workers(mode, url, reps, seconds, HERE / ".cache" / "team", first)
    elapsed = time.monotonic() - started
    errors = sorted({r["error"] for r in records if r["error"]})
    return {"mode": mode, "seconds": round(elapsed, 1), "load": [round(load, 1), round(os.getloadavg()[0], 1)],
            "table": table(records), "check": check(url, before, records), "errors": errors[:10]}


def machine() -> dict:
    """nproc, the CPU model and the RAM of this machine (the clients and, here, the server too)."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    ram = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": round(ram / 1024 / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("CADENCE_TEST_DB"),
                        help="URL of a PostgreSQL role that may create databases (default: $CADENCE_TEST_DB)")
    parser.add_argument("--prospects", type=int, default=100_000)
    parser.add_argument("--touches", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=20, help="reps the prospects are dealt to")
    parser.add_argument("--due", type=int, default=1500, help="about how many items are due on the day, all reps together")
    parser.add_argument("--workers", type=int, default=8, help="reps working at once")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--contend", action="store_true",
                        help="workers in pairs as one rep, both logging the first item of the list: the same prospect at once")
    parser.add_argument("--in-process", action="store_true", help="also a phase without start-up (Pipeline calls)")
    parser.add_argument("--explain", action="store_true", help="then EXPLAIN ANALYZE the queries of one rep's today and log")
    parser.add_argument("--name", default=NAME, help="the run's database (the base one is NAME_base)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not args.server:
        raise SystemExit("give --server postgresql+psycopg://user:password@host:port/postgres (or set CADENCE_TEST_DB)")
    summary = ensure_base(server_url(args.server, f"{args.name}_base"), args.prospects, args.touches, args.reps, args.due)
    reps = synth.rep_names(args.reps)[: args.workers]
    if args.contend:
        reps = [rep for rep in reps[: (args.workers + 1) // 2] for _ in (1, 2)][: args.workers]
    phases = [phase("subprocess", args.server, args.name, reps, args.seconds, args.contend)]
    if args.in_process:
        phases.append(phase("in-process", args.server, args.name, reps, args.seconds, args.contend))
    figures = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": summary, "contend": args.contend,
               "settings": pg_target.settings(server_url(args.server, args.name)), "machine": machine(), "workers": len(reps),
               "phases": phases}
    for one in phases:
        print(show(one["table"], f"{one['mode']}: {len(reps)} reps at once for {one['seconds']} s "
                                 f"(load average {one['load'][0]} before, {one['load'][1]} after)"))
        print("check:", json.dumps({k: v if not isinstance(v, list) else v[:5] for k, v in one["check"].items()}))
        for error in one["errors"]:
            print("  refused or failed:", error)
    print("machine:", ", ".join(f"{k}={v}" for k, v in figures["machine"].items()))
    print("server:", ", ".join(f"{k}={v}" for k, v in figures["settings"].items()))
    if args.explain:
        pg_target.recreate(server_url(args.server, args.name), template=f"{args.name}_base")  # a morning's list, not a worked one
        figures["explain"] = explain(server_url(args.server, args.name), reps[0])
        for one in figures["explain"]:
            print(f"\n{one['command']}: {one['statement']}")
            print("\n".join("    " + line for line in one["plan"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
