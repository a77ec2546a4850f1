"""Per-key latency of `cadence work`: from a key press to the next card drawn, in a pseudo-terminal.

    python bench/work_keys.py                      # the 10k synthetic database, 300 items due
    python bench/work_keys.py --key s --around 300

Spawns `cadence work --date DAY` on a 100 x 40 pty (the synthetic database of
bench/synth.py, copied first), waits for the first card, then for each item
sends one key and times until the next card's marker ("N of TOTAL" in its
rule) has arrived on the terminal. The key is `s` (skip: no write) by default;
with `--key log` each item gets its own "nobody answered" key (n, e or t, as
its legend offers), the note prompt is answered with Enter as well, and the
time runs from the key to the next card, the database write included.
Prints the median and 95th percentile over all keys and over the keys around
item --around (the 300th item by default: the list is drawn 300 items long).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import DAY, SIZES, build_databases, clean_env, pty_pair, terminal_env  # noqa: E402


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str]):
        self.master, slave = pty_pair()
        self.process = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.seen = b""

    def wait_for(self, pattern: bytes, timeout: float = 30.0) -> bytes | None:
        """Read until `pattern` (a regex) appears in what arrived since the last match; what came up to it."""
        end = time.perf_counter() + timeout
        while True:
            match = re.search(pattern, self.seen)
            if match:
                got, self.seen = self.seen[: match.end()], self.seen[match.end():]
                return got
            left = end - time.perf_counter()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return None
                if not chunk:
                    return None
                self.seen += chunk

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def raw(self, timeout: float = 30.0) -> bool:
        """Wait until the program reads keys one by one (canonical mode off): a key sent before would be flushed."""
        import termios

        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if not termios.tcgetattr(self.master)[3] & termios.ICANON:
                return True
            time.sleep(0.0002)
        return False

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)


LEGEND = rb"q=quit"  # the last words of a card: the legend under it


def marker(n: int, total: int) -> bytes:
    # The rule's title; on a terminal styled, so escape codes may sit around the words.
    return rf"{n}(\x1b\[[0-9;]*m)* of (\x1b\[[0-9;]*m)*{total}\b".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", default="s", help="the key sent for each item: s (skip), or log (each item's no-answer, sent or done)")
    parser.add_argument("--around", type=int, default=300, help="also report the ten keys before this item")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--cadence", default=str(Path(sys.executable).with_name("cadence")))
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cadence-keys-") as tmp:
        work = Path(tmp)
        env = clean_env(work, args.cache / "pycache")
        db = build_databases(args.python, ["10k"], args.cache, env, False)["10k"]
        copy = work / "copy.db"
        shutil.copyfile(db["path"], copy)
        term = Terminal([args.cadence, "--db", str(copy), "work", "--date", DAY.isoformat()], terminal_env(env))
        try:
            total = db["due"]  # every item due is on the session's list (no call cap in the bench's profile)
            if not (term.wait_for(marker(1, total)) and (card := term.wait_for(LEGEND))):
                sys.exit("no first card:\n" + term.seen.decode(errors="replace")[-2000:])
            latencies: list[float] = []
            for n in range(2, total + 1):
                if not term.raw():
                    sys.exit(f"item {n - 1}: the session never waited for a key")
                key = args.key
                if key == "log":  # the item's own "nobody answered": no-answer, sent or done, as its legend offers
                    key = next(k for k, word in (("n", b"n=no-answer"), ("e", b"e=sent"), ("t", b"t=done"), ("s", b"")) if word in card)
                start = time.perf_counter()
                term.send(key)
                if key != "s":
                    if not term.wait_for(rb"note \(Enter for none\): "):
                        sys.exit(f"no note prompt at item {n - 1}:\n" + term.seen.decode(errors="replace")[-2000:])
                    term.send("\r")
                if not (term.wait_for(marker(n, total)) and (card := term.wait_for(LEGEND))):
                    sys.exit(f"no card {n} of {total}:\n" + repr(term.seen[:400]))
                latencies.append(time.perf_counter() - start)
        finally:
            term.close()

    def figures(values: list[float]) -> dict:
        ordered = sorted(values)
        return {"keys": len(values), "median_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000, 1),
                "max_ms": round(ordered[-1] * 1000, 1)}

    around = latencies[max(0, args.around - 12): args.around - 1]
    print(json.dumps({"key": args.key, "items": total, "all": figures(latencies),
                      f"before item {args.around}": figures(around) if around else None}))


if __name__ == "__main__":
    main()
