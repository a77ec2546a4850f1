"""Keeping the pipeline clean (issue 14): list, edit, merge, remove, forget, Excel-mangled phones."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from cadence.store.models import Change, Forgotten, Prospect, Touch


def add(cli, first, *options):
    return cli("add", "--first", first, "--start", "2026-11-23", *options).stdout.strip()


def counts(pipeline):
    with Session(pipeline.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(t)).scalar_one() for t in (Prospect, Touch, Change, Forgotten))


# ---------------------------------------------------------------- edit


def test_a_needs_fix_prospect_edited_with_a_good_phone_is_due_on_the_step_it_stopped_at_the_next_working_day(cli):
    pid = add(cli, "Nora", "--last", "Fix", "--phone", "+1 212 555 0100")
    cli("log", pid, "no-answer", "--date", "2026-11-23")
    stopped = cli.json("show", pid)["next_step"]
    cli("log", pid, "bad-number", "--date", "2026-11-24", "--force")
    assert cli.json("show", pid)["status"] == "needs-fix"

    # Friday: the next working day is Monday, not Saturday.
    result = cli.json("edit", pid, "--phone", "(212) 555-0199", "--date", "2026-11-27")

    assert (result["resumed"], result["status"], result["next_step"], result["next_due"]) == (True, "active", stopped, "2026-11-30")
    view = cli.json("show", pid)
    assert (view["phone"], view["status"], view["next_step"], view["next_due"]) == ("+12125550199", "active", stopped, "2026-11-30")
    assert [i["prospect_id"] for i in cli.json("today", "--date", "2026-11-30")] == [int(pid)]
    assert view["changes"][0]["text"] == f"edited phone +12125550100 -> +12125550199; resumed at step {stopped}"


def test_edit_normalises_as_import_does_and_show_keeps_the_history(cli):
    pid = add(cli, "ann", "--phone", "+1 212 555 0101")
    out = cli("edit", pid, "--first", "ANNE", "--last", "O'BRIEN", "--email", " Anne@Example.COM ", "--timezone", "Pacific Time",
              "--tag", "+vip", "--tag", "+Retail", "--tag", "-vip", "--field", "industry=Retail", "--date", "2026-11-24").stdout
    assert out == "Edited #1 Anne O'Brien: first_name ann -> Anne; last_name (empty) -> O'Brien; email (empty) -> anne@example.com; timezone America/New_York -> America/Los_Angeles; tags (empty) -> Retail; fields.industry (empty) -> Retail; now active, next due 2026-11-23\n"
    view = cli.json("show", pid)
    assert (view["first_name"], view["last_name"], view["email"], view["timezone"], view["fields"]) == ("Anne", "O'Brien", "anne@example.com", "America/Los_Angeles", {"industry": "Retail"})
    assert [c["at"][:10] for c in view["changes"]] == ["2026-11-24"]
    assert "edited first_name ann -> Anne" in cli("show", pid).stdout


def test_a_do_not_contact_prospect_stays_do_not_contact_when_edited(cli):
    pid = add(cli, "Dan", "--phone", "+1 212 555 0102")
    cli("log", pid, "do-not-contact", "--date", "2026-11-23", "--force")
    assert cli.json("edit", pid, "--phone", "+1 212 555 0109")["status"] == "do-not-contact"


def test_edit_refuses_a_phone_or_email_another_prospect_has_naming_them_and_writes_nothing(cli, pipeline):
    add(cli, "Bea", "--last", "One", "--phone", "+1 212 555 0103", "--email", "bea@example.com")
    pid = add(cli, "Cal", "--phone", "+1 212 555 0104")
    before = counts(pipeline)
    for option, value, what in (("--phone", "212-555-0103", "phone"), ("--email", "BEA@example.com", "email")):
        result = cli("edit", pid, "--first", "Calvin", option, value, ok=False)
        assert (result.exit_code, result.stderr) == (1, f"error: that {what} belongs to #1 Bea One: if they are the same person, `cadence merge 2 1`\n")
    assert cli.json("show", pid)["first_name"] == "Cal"
    assert counts(pipeline) == before


def test_edit_refuses_a_field_without_equals_and_bad_contacts(cli, pipeline):
    pid = add(cli, "Eve", "--phone", "+1 212 555 0105")
    before = counts(pipeline)
    cases = {
        ("--field", "industry"): "error: --field 'industry' needs KEY=VALUE, e.g. --field industry=Retail (KEY= removes the field)\n",
        ("--email", "not-an-address"): "error: email 'not-an-address' is not a valid address\n",
        ("--timezone", "Mars"): "error: time zone 'Mars' is not one cadence knows: use an IANA name such as America/Chicago\n",
        ("--tag", "vip"): "error: --tag 'vip' needs +TAG to add or -TAG to remove, e.g. --tag +vip\n",
        ("--phone", "2.12555E+09"): "error: 2.12555E+09 is a phone number a spreadsheet turned into a number and cut to 6 digits: format the phone column as text and export it again\n",
    }
    for args, message in cases.items():
        result = cli("edit", pid, "--company", "Half Written", *args, ok=False)
        assert (result.exit_code, result.stderr) == (1, message), args
    assert cli.json("show", pid)["company"] == ""
    assert counts(pipeline) == before


def test_excel_mangled_phones_are_read_back_when_every_digit_is_there():
    from cadence.domain.contacts import normalise_phone

    assert normalise_phone("1.2125550199E+10").text == "+12125550199"
    assert normalise_phone("2.125550199e+09").text == "+12125550199"
    lost = normalise_phone("2.12555E+09")
    assert (lost.valid, lost.text) == (False, "2.12555E+09")
    assert "cut to 6 digits" in lost.problem


def test_an_import_flags_an_excel_phone_that_lost_digits_with_the_reason(cli, tmp_path):
    leads = tmp_path / "excel.csv"
    leads.write_text("First Name,Email,Phone\nAl,al@example.com,1.2125550199E+10\nBo,bo@example.com,2.12555E+09\n")
    report = cli.json("import", str(leads))
    assert report["added"] == 2
    assert cli.json("show", "al@example.com")["phone"] == "+12125550199"
    assert any("2.12555E+09 is a phone number a spreadsheet turned into a number and cut to 6 digits" in f["message"] for f in report["flagged"])


# ---------------------------------------------------------------- list


def test_list_filters_searches_in_any_alphabet_and_sorts(cli, monkeypatch):
    a = add(cli, "Łukasz", "--last", "Żółć", "--company", "ÉCOLE Straße", "--phone", "+1 212 555 0110")
    b = add(cli, "Zed", "--company", "acme", "--email", "zed@acme.io")
    c = add(cli, "Mia", "--company", "Other", "--phone", "+1 212 555 0112")
    cli("edit", c, "--tag", "+Hot", "--field", "industry=Écoles")
    cli("log", b, "connected", "--date", "2026-11-23", "--force")  # engaged, no next date

    ids = lambda *args: [row["id"] for row in cli.json("list", *args)]
    assert ids() == [int(a), int(b), int(c)]
    assert ids("--search", "łUKASZ") == [int(a)]
    assert ids("--search", "école") == [int(a), int(c)]  # company, and a custom field
    assert ids("--search", "STRASSE") == [int(a)]  # ß folds to ss
    assert ids("--search", "ACME.IO") == [int(b)]
    assert ids("--search", "555 0112") == [int(c)]
    assert ids("--status", "engaged") == [int(b)]
    assert ids("--status", "engaged,active", "--sort", "name") == [int(c), int(b), int(a)]  # by code point once folded
    assert ids("--tag", "hot") == [int(c)]
    assert ids("--cadence", "five-touch-fire", "--due-before", "2026-11-24") == [int(a), int(c)]
    row = cli.json("list", "--search", "zed")[0]
    assert row == {"id": int(b), "name": "Zed", "company": "acme", "status": "engaged", "cadence": "five-touch-fire", "step": row["step"],
                   "attempts": 1, "next_due": None, "owner": "", "email": "zed@acme.io", "phone": "", "tags": ""}
    assert cli("list", "--search", "zed", "--brief").stdout == f"#{b} Zed · engaged\n"
    monkeypatch.setenv("CADENCE_USER", "sam")
    assert ids() == [] and ids("--all") == [int(a), int(b), int(c)]


def test_list_refuses_an_unknown_status_or_sort_field_listing_the_valid_ones(cli):
    result = cli("list", "--status", "active,happy", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: unknown status 'happy' for --status: use one or more of active, snoozed, paused, engaged, converted, fired, lost, disqualified, do-not-contact, needs-fix (comma-separated)\n")
    result = cli("list", "--sort", "mood", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: unknown sort field 'mood' for --sort: use one of id, name, company, status, cadence, step, attempts, due\n")


# ---------------------------------------------------------------- merge


def test_merge_keeps_keeps_state_moves_touches_fills_fields_and_undo_takes_it_back(cli, pipeline):
    keep = add(cli, "Kim", "--last", "Park", "--phone", "+1 212 555 0120")
    other = add(cli, "Kimberly", "--last", "Park", "--email", "kim@example.com", "--company", "Acme")
    cli("log", keep, "no-answer", "--date", "2026-11-23")
    cli("log", other, "sent", "--date", "2026-11-23", "--force")
    cli("edit", other, "--field", "industry=Retail", "--date", "2026-11-23")
    state = cli.json("show", keep)
    before = counts(pipeline)

    result = cli.json("merge", keep, other, "--date", "2026-11-24")

    assert result == {"prospect_id": int(keep), "name": "Kim Park", "merged": int(other), "touches_moved": 1,
                      "filled": ["company", "email", "fields.industry"], "status": "active"}
    view = cli.json("show", keep)
    assert (view["email"], view["company"], view["fields"], view["next_step"], view["next_due"]) == ("kim@example.com", "Acme", {"industry": "Retail"}, state["next_step"], state["next_due"])
    assert [t["outcome"] for t in view["touches"]] == ["no-answer", "sent"]
    assert cli("show", other, ok=False).exit_code == 1
    assert cli.json("stats") == cli.json("stats", "--recount")

    undone = cli.json("undo")
    assert (undone["removed"]["outcome"], undone["restored"]) == ("merge", int(other))
    assert counts(pipeline) == before
    assert cli.json("show", keep)["email"] == "" and [t["outcome"] for t in cli.json("show", keep)["touches"]] == ["no-answer"]
    assert [t["outcome"] for t in cli.json("show", other)["touches"]] == ["sent"]
    assert cli.json("stats") == cli.json("stats", "--recount")


def test_merge_refuses_a_prospect_with_itself(cli, pipeline):
    pid = add(cli, "Solo", "--phone", "+1 212 555 0121")
    before = counts(pipeline)
    result = cli("merge", pid, "solo", ok=False)
    assert (result.exit_code, result.stderr) == (1, f"error: '{pid}' and 'solo' are the same prospect (#{pid}): name the two records of the person\n")
    assert counts(pipeline) == before


# ---------------------------------------------------------------- remove and forget


def test_remove_needs_yes_when_stdin_is_not_a_terminal(cli, pipeline):
    pid = add(cli, "Rae", "--phone", "+1 212 555 0130")
    cli("log", pid, "no-answer", "--date", "2026-11-23")
    before = counts(pipeline)
    result = cli("remove", pid, ok=False)
    assert (result.exit_code, result.stderr) == (1, f"error: not removing '{pid}' without confirmation: add --yes\n")
    assert counts(pipeline) == before
    assert cli("remove", pid, "--yes").stdout == f"Removed #{pid} Rae and 1 touches\n"
    assert counts(pipeline) == (0, 0, 0, 0)
    assert cli.json("stats") == cli.json("stats", "--recount")


def test_forget_deletes_the_person_keeps_a_hash_and_a_later_import_skips_them(cli, pipeline, tmp_path):
    pid = add(cli, "Gus", "--email", "gus@example.com", "--phone", "+1 212 555 0140")
    cli("log", pid, "sent", "--date", "2026-11-23", "--force")
    out = cli("forget", "GUS@example.com").stdout
    assert out == f"Forgot GUS@example.com: removed #{pid} and 1 touches; kept only a one-way hash, so a later import will skip them\n"
    with Session(pipeline.engine) as session:
        hashes = session.execute(select(Forgotten.hash)).scalars().all()
    assert len(hashes) == 2 and not any("gus" in h or "0140" in h for h in hashes)
    assert cli.json("stats") == cli.json("stats", "--recount")

    leads = tmp_path / "again.csv"
    leads.write_text("First Name,Email,Phone\nGus,gus@example.com,\nGustav,,212 555 0140\nNew,new@example.com,\n")
    report = cli.json("import", str(leads))
    assert (report["added"], report["do_not_contact"]) == (1, 2)
    assert [r["name"] for r in cli.json("list")] == ["New"]


# ---------------------------------------------------------------- import --update --overwrite


def test_import_update_overwrite_replaces_the_named_filled_fields_only(cli, tmp_path, pipeline):
    pid = add(cli, "Ida", "--company", "Old Co", "--title", "Buyer", "--email", "ida@example.com", "--phone", "+1 212 555 0150")
    leads = tmp_path / "update.csv"
    leads.write_text("First Name,Email,Company,Title,Phone\nIda,ida@example.com,New Co,Chief Buyer,212 555 0151\n")

    assert cli.json("import", str(leads), "--update")["updated"] == 0  # filled fields stay without --overwrite
    report = cli.json("import", str(leads), "--update", "--overwrite", "company,phone")

    assert report["updated"] == 1
    view = cli.json("show", pid)
    assert (view["company"], view["title"], view["phone"]) == ("New Co", "Buyer", "+12125550151")
    assert cli.json("show", "212 555 0151")["id"] == int(pid)  # the phone key moved with the phone


def test_import_overwrite_refuses_an_unknown_field_and_use_without_update(cli, tmp_path, pipeline):
    leads = tmp_path / "update.csv"
    leads.write_text("First Name,Email\nIda,ida@example.com\n")
    result = cli("import", str(leads), "--update", "--overwrite", "company,mood", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: unknown field 'mood' for --overwrite: use one or more of first_name, last_name, title, company, phone, email, timezone, source, tags, owner, fields (comma-separated)\n")
    result = cli("import", str(leads), "--overwrite", "company", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: --overwrite replaces fields of people already present: use it with --update\n")
    assert counts(pipeline) == (0, 0, 0, 0)
