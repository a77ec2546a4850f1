"""`cadence sync`: replies, bounces and out-of-office mail read from a Maildir, an mbox and a real Dovecot."""

from __future__ import annotations

import mailbox
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

import mailbox_fixtures as mf
from cadence.channels import inbox, messages

NOW = "2026-11-26T18:00"


# ------------------------------------------------------------------ classification (pure)


KNOWN = inbox.Known(
    emails={"ana@crescent.example": 1, "bob@gone.example": 2, "carla@closed.example": 3, "dan@old.example": 4,
            "eve@corp.example": 5, "fay@slow.example": 6, "gus@ooo.example": 7},
    threads={mf.SENT_ID: 1},
    mine=frozenset({mf.SELLER}),
)


def classify(raw: bytes) -> inbox.Finding:
    return inbox.classify(messages.parse(raw), KNOWN)


def test_a_reply_quoting_the_sent_email_is_matched_by_thread():
    found = classify(mf.reply_quoting())
    assert (found.kind, found.prospect_id, found.matched_by) == ("reply", 1, "thread")
    assert found.subject == "Re: Crescent Print and faster proofs"


def test_a_colleague_answering_in_the_thread_is_a_reply_for_the_prospect():
    found = classify(mf.colleague_reply())
    assert (found.kind, found.prospect_id, found.matched_by, found.sender) == ("reply", 1, "thread", "luis@crescent.example")


def test_a_reply_from_a_known_address_without_thread_headers_is_matched_by_from():
    raw = mf.msg({"From": "carla@closed.example", "To": mf.SELLER, "Subject": "hello", "Message-ID": "<c@x>"}, "Call me.\n")
    assert (classify(raw).kind, classify(raw).prospect_id, classify(raw).matched_by) == ("reply", 3, "from")


@pytest.mark.parametrize(
    "raw, prospect, status",
    [
        (mf.postfix_bounce(), 2, "5.1.1"),
        (mf.exim_bounce(), 3, "5.1.1"),
        (mf.gmail_bounce(), 4, "5.1.1"),
        (mf.exchange_bounce(), 5, "5.1.10"),
    ],
    ids=["postfix", "exim", "gmail", "exchange"],
)
def test_hard_bounces_from_common_servers(raw, prospect, status):
    found = classify(raw)
    assert (found.kind, found.prospect_id, found.status) == ("bounce", prospect, status)


def test_a_delay_notice_is_a_soft_bounce():
    found = classify(mf.delayed_notice())
    assert (found.kind, found.prospect_id, found.status) == ("soft-bounce", 6, "4.4.1")


def test_a_bounce_for_an_unknown_address_concerns_nobody():
    found = classify(mf.postfix_bounce("stranger@nowhere.example"))
    assert (found.kind, found.prospect_id, found.address) == ("bounce", None, "stranger@nowhere.example")


@pytest.mark.parametrize(
    "subject, body, back",
    [
        ("Out of Office: Re: Quick question", "I am out of the office until December 4, 2026 with limited access to email.", date(2026, 12, 5)),
        ("Automatic reply: Quick question", "I'm on leave and will be back on Monday, 7 December.", date(2026, 12, 7)),
        ("Abwesenheitsnotiz: Quick question", "Ich bin bis zum 04.12.2026 nicht im Büro. Ab dem 07.12.2026 bin ich wieder erreichbar.", date(2026, 12, 5)),
        ("Automatische Antwort: Quick question", "Vielen Dank. Ich bin ab dem 8. Dezember wieder im Büro.", date(2026, 12, 8)),
        ("Réponse automatique : Quick question", "Je suis absent jusqu'au 3 décembre 2026 inclus.", date(2026, 12, 4)),
        ("Absence du bureau", "Bonjour, je serai de retour le 09/12/2026.", date(2026, 12, 9)),
        ("Respuesta automática: Quick question", "Estoy fuera de la oficina hasta el 2 de diciembre.", date(2026, 12, 3)),
        ("Fuera de la oficina", "Regresaré el 10/12/2026. Gracias.", date(2026, 12, 10)),
    ],
    ids=["en-until", "en-back", "de-bis", "de-ab", "fr-jusqu", "fr-retour", "es-hasta", "es-regreso"],
)
def test_out_of_office_in_four_languages_with_the_return_date(subject, body, back):
    found = classify(mf.out_of_office("Gus <gus@ooo.example>", subject, body, "<ooo@x>"))
    assert (found.kind, found.prospect_id, found.until) == ("out-of-office", 7, back)


def test_an_autoreply_without_a_date_and_x_autoreply_without_auto_submitted():
    found = classify(mf.out_of_office("gus@ooo.example", "Thanks for your message", "I will answer as soon as I can.", "<o2@x>",
                                      {"Auto-Submitted": "no", "X-Autoreply": "yes"}))
    assert (found.kind, found.until) == ("out-of-office", None)


def test_newsletters_strangers_and_my_own_mail_are_ignored():
    assert classify(mf.newsletter()).kind == "ignored"
    assert classify(mf.irrelevant(3)).kind == "ignored"
    mine = mf.msg({"From": mf.SELLER, "To": "ana@crescent.example", "Subject": "x", "In-Reply-To": mf.SENT_ID}, "x")
    assert classify(mine).why == "sent by you"


def test_a_reply_whose_subject_mentions_absence_is_still_a_reply():
    raw = mf.msg({"From": "ana@crescent.example", "To": mf.SELLER, "Subject": "Re: your absence policy question", "Message-ID": "<q@x>"}, "Yes.")
    assert classify(raw).kind == "reply"


# ------------------------------------------------------------------ a local Maildir / mbox, end to end


@pytest.fixture
def pipe_people(cli, pipeline, prospect_factory):
    """Ana at her email step (the email sent with SENT_ID), Bob (a bad address), Gus; the seller's profile."""
    from cadence.domain.engine import Outcome

    cli("me", "set", "email", mf.SELLER)
    ana = prospect_factory(first_name="Ana", last_name="López", email="ana@crescent.example")
    bob = prospect_factory(first_name="Bob", last_name="Gone", email="bob@gone.example")
    gus = prospect_factory(first_name="Gus", last_name="Away", email="gus@ooo.example")
    pipeline.log(str(ana.id), Outcome.VOICEMAIL, datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
    pipeline.log(str(ana.id), Outcome.NO_ANSWER, datetime(2026, 11, 24, 10, tzinfo=timezone.utc))
    pipeline.log(str(ana.id), Outcome.SENT, datetime(2026, 11, 25, 10, tzinfo=timezone.utc), message_id=mf.SENT_ID)
    return {"ana": ana.id, "bob": bob.id, "gus": gus.id}


def write_maildir(folder: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(str(folder), create=True)
    for raw in messages:
        box.add(raw)
    return folder


def touches(cli, pid) -> list[tuple[str, str]]:
    return [(t["outcome"], t["note"]) for t in cli.json("show", str(pid))["touches"]]


def test_sync_a_maildir_logs_replies_bounces_and_snoozes_once(cli, pipe_people, tmp_path):
    folder = write_maildir(tmp_path / "Mail", [
        mf.reply_quoting(), mf.colleague_reply(), mf.postfix_bounce(), mf.newsletter(),
        mf.out_of_office("gus@ooo.example", "Out of Office", "Back on December 7, 2026.", "<ooo1@ooo.example>"),
        mf.postfix_bounce("stranger@nowhere.example"), mf.irrelevant(1),
    ])
    result = cli("sync", "--maildir", str(folder), "--at", NOW)
    out = result.stdout
    assert "reply: #1 Ana López \"Re: Crescent Print and faster proofs\": logged (now engaged)" in out
    assert "bounce: #2 Bob Gone: logged (now needs-fix)" in out
    assert "out of office: #3 Gus Away: snoozed (snoozed until 2026-12-07)" in out
    assert "bounce: stranger@nowhere.example: reported (no prospect has the address stranger@nowhere.example; nothing logged)" in out
    assert out.strip().endswith("read 7 messages: 2 replies, 2 bounces, 0 soft bounces, 1 out-of-office, 2 ignored.")
    assert touches(cli, pipe_people["ana"])[-1] == ("replied", "Re: Crescent Print and faster proofs")
    assert [o for o, _ in touches(cli, pipe_people["ana"])].count("replied") == 1  # the colleague's reply came after: engaged already
    show = cli.json("show", str(pipe_people["ana"]))
    assert show["touches"][-1]["on"] == "2026-11-26"  # at the reply's date
    assert cli.json("show", str(pipe_people["bob"]))["status"] == "needs-fix"
    assert cli.json("show", str(pipe_people["gus"]))["next_due"] == "2026-12-07"

    again = cli.json("sync", "--maildir", str(folder), "--at", NOW)
    assert [m["action"] for m in again["messages"] if m["kind"] == "reply"] == ["already-logged", "reported"]
    assert [o for o, _ in touches(cli, pipe_people["ana"])].count("replied") == 1
    assert [o for o, _ in touches(cli, pipe_people["bob"])].count("bounced") == 1


def test_dry_run_changes_nothing_and_json_is_one_object(cli, pipe_people, tmp_path):
    folder = write_maildir(tmp_path / "Mail", [mf.reply_quoting(), mf.postfix_bounce()])
    data = cli.json("sync", "--maildir", str(folder), "--at", NOW, "--dry-run")
    assert (data["dry_run"], data["replies"], data["bounces"]) == (True, 1, 1)
    assert [m["action"] for m in data["messages"]] == ["would-log", "would-log"]
    assert cli.json("show", str(pipe_people["ana"]))["status"] == "active"
    assert cli.json("show", str(pipe_people["bob"]))["status"] == "active"


def test_sync_an_mbox_and_since(cli, pipe_people, tmp_path):
    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    old = mf.reply_quoting(date="Mon, 02 Nov 2026 09:00:00 +0000", mid="<old@crescent.example>")
    for raw in (old, mf.reply_quoting()):
        box.add(raw)
    box.close()
    data = cli.json("sync", "--mbox", str(tmp_path / "inbox.mbox"), "--since", "2026-11-20", "--at", NOW)
    assert [m["message_id"] for m in data["messages"]] == ["<reply1@crescent.example>"]
    assert data["ignored"] == 1


def test_a_reply_after_fire_counts_in_stats(cli, pipeline, prospect_factory, tmp_path):
    from cadence.domain.engine import Outcome

    cli("me", "set", "email", mf.SELLER)
    ana = prospect_factory(first_name="Ana", last_name="López", email="ana@crescent.example")
    for day, outcome in ((23, Outcome.VOICEMAIL), (24, Outcome.NO_ANSWER), (25, Outcome.SENT)):
        pipeline.log(str(ana.id), outcome, datetime(2026, 11, day, 10, tzinfo=timezone.utc), force=True)
    for _ in range(3):
        show = cli.json("show", str(ana.id))
        if show["status"] == "fired":
            break
        cli("log", str(ana.id), "na" if show["next_type"] != "email" else "sent", "--force", "--at", "2026-11-27T10:00")
    assert cli.json("show", str(ana.id))["status"] == "fired"
    folder = write_maildir(tmp_path / "Mail", [mf.reply_quoting(date="Mon, 30 Nov 2026 09:00:00 +0000")])
    cli("sync", "--maildir", str(folder), "--at", "2026-11-30T18:00")
    stats = cli.json("stats")[0]
    assert stats["replies_after_fire"] == 1


def test_bad_local_sources(cli, pipe_people, tmp_path):
    result = cli("sync", "--maildir", str(tmp_path / "nope"), ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'} is not a Maildir (it has no cur/ or new/ folder): give the folder that holds them"
    result = cli("sync", "--mbox", str(tmp_path), ok=False)
    assert result.stderr.strip() == f"error: {tmp_path} is not an mbox file: give the file (e.g. ~/mail/Inbox)"
    result = cli("sync", ok=False)
    assert result.stderr.startswith("error: no IMAP server set: run `cadence me set imap_host")


def test_imap_password_is_never_a_setting(cli):
    result = cli("me", "set", "imap_password", "x", ok=False)
    assert result.exit_code == 1
    assert "CADENCE_IMAP_PASSWORD" in result.stderr
    cli("me", "set", "imap_host", "imap.example.com")


# ------------------------------------------------------------------ a real Dovecot

needs_dovecot = pytest.mark.skipif(mf.dovecot_binary() is None, reason="Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")


@pytest.fixture
def dovecot(tmp_path_factory, monkeypatch, cli):
    if mf.dovecot_binary() is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    server = mf.Dovecot(mf.server_folder()).start()
    monkeypatch.setenv("CADENCE_IMAP_PASSWORD", mf.Dovecot.PASSWORD)
    server.profile(cli)
    yield server
    server.stop()


MAILBOX = [
    mf.irrelevant(1), mf.reply_quoting(), mf.colleague_reply(), mf.postfix_bounce(), mf.exim_bounce(), mf.gmail_bounce(),
    mf.exchange_bounce(), mf.delayed_notice(), mf.newsletter(1), mf.newsletter(2),
    mf.out_of_office("gus@ooo.example", "Abwesenheitsnotiz", "Ich bin bis zum 04.12.2026 nicht im Büro.", "<oooDE@ooo.example>"),
    mf.postfix_bounce("stranger@nowhere.example"),
]


@needs_dovecot
def test_sync_over_imap_then_only_new_mail(cli, pipe_people, dovecot, prospect_factory):
    for first, email in (("Carla", "carla@closed.example"), ("Dan", "dan@old.example"), ("Eve", "eve@corp.example"), ("Fay", "fay@slow.example")):
        prospect_factory(first_name=first, last_name="X", email=email)
    dovecot.append(MAILBOX)
    data = cli.json("sync", "--at", NOW)
    assert (data["read"], data["replies"], data["bounces"], data["soft_bounces"], data["out_of_office"], data["ignored"]) == (12, 2, 5, 1, 1, 3)
    logged = [(m["kind"], m["name"], m["action"]) for m in data["messages"] if m["action"] in ("logged", "snoozed")]
    assert logged == [
        ("reply", "Ana López", "logged"), ("bounce", "Bob Gone", "logged"), ("bounce", "Carla X", "logged"),
        ("bounce", "Dan X", "logged"), ("bounce", "Eve X", "logged"), ("out-of-office", "Gus Away", "snoozed"),
    ]
    assert cli.json("show", str(pipe_people["gus"]))["next_due"] == "2026-12-07"  # back on Saturday the 5th: the next working day
    assert cli.json("show", "fay@slow.example")["status"] == "active"

    again = cli.json("sync", "--at", NOW)
    assert (again["read"], again["messages"]) == (0, [])
    dovecot.append([mf.irrelevant(2), mf.reply_quoting("Carla <carla@closed.example>", "<carla-r@closed.example>", "<none@x>")])
    third = cli.json("sync", "--at", NOW)
    assert third["read"] == 2
    assert [(m["kind"], m["name"], m["action"]) for m in third["messages"]] == [("reply", "Carla X", "logged")]


@needs_dovecot
def test_imap_wrong_password(cli, pipe_people, dovecot, monkeypatch):
    monkeypatch.setenv("CADENCE_IMAP_PASSWORD", "wrong")
    result = cli("sync", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: IMAP server 127.0.0.1:{dovecot.port} rejected the login for sam (")
    assert "wrong" not in result.stderr and result.stderr.count("\n") == 1


def test_imap_server_unreachable(cli, monkeypatch):
    port = mf.free_port()
    for key, value in (("imap_host", "127.0.0.1"), ("imap_port", str(port)), ("imap_tls", "none"), ("imap_user", "sam")):
        cli("me", "set", key, value)
    monkeypatch.setenv("CADENCE_IMAP_PASSWORD", "x")
    result = cli("sync", ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot reach IMAP server 127.0.0.1:{port}: Connection refused; nothing was read\n"


@needs_dovecot
def test_imap_folder_that_does_not_exist(cli, pipe_people, dovecot):
    cli("me", "set", "imap_folders", "INBOX, Archive")
    dovecot.append([mf.reply_quoting()])
    result = cli("sync", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: folder 'Archive' does not exist on IMAP server 127.0.0.1:{dovecot.port} (its folders: INBOX); "
        "fix it with `cadence me set imap_folders INBOX`\n"
    )


@needs_dovecot
def test_malformed_mime_and_a_20_mb_attachment(cli, pipe_people, dovecot):
    broken = (b"From: =?utf-8?q?broken?= <nobody@nowhere.example\r\nSubject: =?x-unknown?b?!!!?=\r\nMessage-ID: <broken@x>\r\n"
              b"Content-Type: multipart/mixed; boundary=\"never\"\r\n\r\n--nope\r\nContent-Type: text/plain; charset=x-bogus\r\n\r\n\xff\xfe oops\r\n")
    big = mf.msg(
        {"From": "ana@crescent.example", "To": mf.SELLER, "Subject": "Re: the proofs", "Message-ID": "<big@crescent.example>",
         "In-Reply-To": mf.SENT_ID, "MIME-Version": "1.0", "Content-Type": 'multipart/mixed; boundary="Z"', "Date": "Thu, 26 Nov 2026 12:00:00 +0000"},
        "--Z\nContent-Type: text/plain\n\nProofs attached.\n--Z\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
        + ("QUJD" * 19 + "\n") * 262144 + "--Z--\n",
    )
    assert len(big) > 20_000_000
    dovecot.append([broken, big])
    started = time.monotonic()
    data = cli.json("sync", "--at", NOW)
    assert time.monotonic() - started < 20
    assert [(m["kind"], m["message_id"], m["action"]) for m in data["messages"]] == [("reply", "<big@crescent.example>", "logged")]
    assert data["read"] == 2 and data["ignored"] == 1  # the broken one names no address anyone has


@needs_dovecot
def test_imap_tls_certificate_not_trusted(cli, pipe_people, tmp_path_factory, monkeypatch):
    root = mf.server_folder()
    cert = mf.self_signed(root)
    server = mf.Dovecot(root, tls_cert=cert).start()
    try:
        monkeypatch.setenv("CADENCE_IMAP_PASSWORD", mf.Dovecot.PASSWORD)
        server.profile(cli, tls="ssl")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        result = cli("sync", ok=False)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: the TLS certificate of IMAP server 127.0.0.1:{server.tls_port} is not trusted (")
        assert "install its CA certificate (or point SSL_CERT_FILE at it); nothing was read" in result.stderr
        monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # trusted now: the same server answers
        assert cli.json("sync", "--at", NOW)["read"] == 0
    finally:
        server.stop()


@needs_dovecot
def test_a_sync_killed_midway_then_run_again_logs_every_reply_once(cli, pipeline, prospect_factory, dovecot, isolated):
    cli("me", "set", "email", mf.SELLER)
    people = [prospect_factory(first_name=f"P{n}", last_name="R", email=f"p{n}@replies.example") for n in range(30)]
    messages = []
    for n in range(600):
        if n % 20 == 0:
            k = n // 20
            messages.append(mf.msg({"From": f"p{k}@replies.example", "To": mf.SELLER, "Subject": f"Re: hello {k}",
                                    "Message-ID": f"<rep{k}@replies.example>", "Date": "Thu, 26 Nov 2026 09:00:00 +0000"}, "Yes.\n"))
        else:
            messages.append(mf.irrelevant(n))
    dovecot.append(messages)
    env = dict(os.environ, CADENCE_IMAP_PASSWORD=mf.Dovecot.PASSWORD)
    slow = Path(isolated) / "slow.py"  # the CLI, slowed on each reply logged, so the kill lands mid-way
    slow.write_text(
        "import sys, time\nfrom cadence.pipeline import core\nlog = core.Pipeline.log\n"
        "def slow(self, *a, **k):\n    r = log(self, *a, **k)\n    time.sleep(0.15)\n    return r\n"
        "core.Pipeline.log = slow\nfrom cadence.cli import main\nsys.argv = ['cadence', 'sync', '--at', '2026-11-26T18:00']\nmain()\n"
    )
    process = subprocess.Popen([sys.executable, str(slow)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replied = sum(1 for p in people if cli.json("show", str(p.id))["status"] == "engaged")
        if replied >= 8:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 8 <= replied < 30
    cli("sync", "--at", NOW)
    for p in people:
        assert [t["outcome"] for t in cli.json("show", str(p.id))["touches"]].count("replied") == 1, p.id


def test_a_reply_to_a_draft_is_matched_by_its_message_id_even_from_another_address(cli, tmp_path):
    from email import message_from_bytes

    cli("me", "set", "email", mf.SELLER)
    pid = cli("add", "--first", "Ana", "--last", "López", "--email", "ana@crescent.example", "--phone", "+1 617 555 0109",
              "--start", "2026-11-23").stdout.strip()
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")
    cli("log", pid, "na", "--at", "2026-11-24T10:00")
    drafted = cli.json("email", pid, "--draft", str(tmp_path / "drafts"), "--at", "2026-11-25T10:00")
    written = message_from_bytes(Path(drafted["draft"]).read_bytes())
    assert written["Message-ID"] == drafted["message_id"]
    cli("log", pid, "sent", "--at", "2026-11-25T10:05")
    reply = mf.reply_quoting("Ana <ana.lopez@private.example>", "<priv@private.example>", drafted["message_id"])
    folder = write_maildir(tmp_path / "Mail", [reply])
    data = cli.json("sync", "--maildir", str(folder), "--at", NOW)
    assert [(m["kind"], m["prospect_id"], m["action"]) for m in data["messages"]] == [("reply", int(pid), "logged")]
