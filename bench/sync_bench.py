"""`cadence sync` against a real Dovecot: a 10,000-message folder (mostly irrelevant mail), then the daily increment.

    python bench/sync_bench.py [--messages 10000] [--increment 60] [--prospects 2000]

Needs Dovecot (apt-get install dovecot-imapd); times whole `cadence sync` processes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import mailbox_fixtures as mf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--increment", type=int, default=60)
    parser.add_argument("--prospects", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cadence-sync-bench-"))
    env = dict(os.environ, CADENCE_DB=str(work / "bench.db"), XDG_CONFIG_HOME=str(work / "cfg"), XDG_DATA_HOME=str(work / "data"),
               XDG_CACHE_HOME=str(work / "cache"), CADENCE_IMAP_PASSWORD=mf.Dovecot.PASSWORD, TZ="UTC")
    cadence = str(Path(sys.executable).with_name("cadence"))

    def run(*argv: str) -> float:
        started = time.perf_counter()
        subprocess.run([cadence, *argv], env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    csv = work / "people.csv"
    csv.write_text("first,last,email\n" + "".join(f"P{n},R,p{n}@replies.example\n" for n in range(args.prospects)))
    run("import", str(csv), "--start", "2026-11-23")
    server = mf.Dovecot(mf.server_folder()).start()
    try:
        for key, value in (("email", mf.SELLER), ("imap_host", "127.0.0.1"), ("imap_port", str(server.port)), ("imap_tls", "none"), ("imap_user", server.USER)):
            run("me", "set", key, value)

        def batch(count: int, offset: int) -> list[bytes]:
            out = []
            for n in range(offset, offset + count):
                if n % 100 == 0:  # 1 % replies from prospects, the rest irrelevant
                    out.append(mf.msg({"From": f"p{n % args.prospects}@replies.example", "To": mf.SELLER, "Subject": f"Re: {n}",
                                       "Message-ID": f"<b{n}@replies.example>", "Date": "Thu, 26 Nov 2026 09:00:00 +0000"}, "Yes.\n"))
                else:
                    out.append(mf.irrelevant(n))
            return out

        server.append(batch(args.messages, 0))
        first = run("sync", "--at", "2026-11-26T18:00")
        nothing = run("sync", "--at", "2026-11-26T18:00")
        server.append(batch(args.increment, args.messages))
        daily = run("sync", "--at", "2026-11-27T18:00")
    finally:
        server.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print(f"first sync of {args.messages:,} messages: {first:.2f} s")
    print(f"second sync, nothing new: {nothing:.2f} s")
    print(f"daily increment of {args.increment} messages: {daily:.2f} s")


if __name__ == "__main__":
    main()
