"""`cadence me`: only known keys, checked values, no secrets; unset removes; the database file is announced."""

from __future__ import annotations

import json
import os

import pytest

from conftest import ON_POSTGRES


def test_unknown_key_is_refused_naming_the_closest_known_one(cli):
    result = cli("me", "set", "timzone", "Europe/Paris", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        "error: unknown profile key 'timzone': did you mean timezone? for a value of your own "
        "(me.timzone in scripts) use `cadence me set --custom timzone VALUE`\n"
    )
    assert cli.json("me", "show") == {}


def test_a_key_like_no_other_lists_the_known_keys(cli):
    result = cli("me", "set", "zzz", "1", ok=False)
    assert result.exit_code == 1
    assert "the keys are name, company, phone, email, title, timezone," in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_value_of_your_own_needs_custom_and_reaches_scripts(cli):
    assert cli("me", "set", "--custom", "calendly", "https://cal.example/sam").stdout == "calendly = https://cal.example/sam\n"
    assert cli.json("me", "show") == {"calendly": "https://cal.example/sam"}


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("email", "sam@", "error: email 'sam@' is not a valid address: give one like sam@example.com\n"),
        ("phone", "call me", 'error: phone \'call me\' is not a phone number: give 7 to 15 digits, e.g. "+1 555 0100" (an extension as ext 12)\n'),
        ("phone", "12", 'error: phone \'12\' is not a phone number: give 7 to 15 digits, e.g. "+1 555 0100" (an extension as ext 12)\n'),
        ("timezone", "Mars/Olympus", "error: unknown time zone 'Mars/Olympus': use an IANA name such as America/New_York or Europe/London\n"),
    ],
)
def test_malformed_values_are_refused_and_nothing_is_stored(cli, key, value, message):
    result = cli("me", "set", key, value, ok=False)
    assert (result.exit_code, result.stderr) == (1, message)
    assert cli.json("me", "show") == {}


def test_good_values_are_stored(cli):
    cli("me", "set", "phone", "+1 555 0100")
    cli("me", "set", "email", "sam@seller.example")
    cli("me", "set", "timezone", "Europe/Paris")
    assert cli.json("me", "show") == {"email": "sam@seller.example", "phone": "+1 555 0100", "timezone": "Europe/Paris"}


def test_a_default_cadence_that_does_not_exist_is_refused(cli):
    result = cli("me", "set", "default_cadence", "five-touch-fir", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "five-touch-fir" in result.stderr and result.stderr.count("\n") == 1
    assert cli.json("me", "show") == {}
    cli("me", "set", "default_cadence", "three-voicemails")
    assert cli.json("me", "show") == {"default_cadence": "three-voicemails"}


@pytest.mark.parametrize("key", ["smtp_password", "password"])
def test_no_password_is_ever_stored(cli, key):
    result = cli("me", "set", key, "S3cret", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {key} is not stored in the database, where anyone with the file could read it: "
        "set CADENCE_SMTP_PASSWORD in your environment, or store it in the system keyring with "
        "`keyring set cadence SMTP_USER` (pip install 'prospect-cadence[keyring]'); see docs/insight.md\n"
    )
    assert cli("me", "set", "--custom", key, "S3cret", ok=False).exit_code == 1
    assert "S3cret" not in cli("me", "show").stdout


def test_the_password_env_variable_named_is_the_one_smtp_reads():
    from cadence.channels import mail
    from cadence.domain import profile

    assert profile.PASSWORD_ENV == mail.PASSWORD_ENV == "CADENCE_SMTP_PASSWORD"


def test_unset_user_really_removes_the_rep(cli):
    cli("me", "set", "user", "sam")
    cli("me", "set", "name", "Sam Rivera")  # stored for sam, now the rep
    assert cli.json("me", "show") == {"name": "Sam Rivera", "user": "sam"}
    assert cli("me", "unset", "user").stdout == "user removed\n"
    assert cli.json("me", "show") == {}  # sam's own name went with being sam
    assert cli("me", "unset", "user").stdout == "user was not set\n"


def test_unset_removes_a_shared_value_that_would_show_through(cli, monkeypatch):
    cli("me", "set", "company", "Northwind")  # no rep yet: stored for everyone
    monkeypatch.setenv("CADENCE_USER", "ana")
    cli("me", "set", "company", "Contoso")
    assert cli.json("me", "show") == {"company": "Contoso"}
    cli("me", "unset", "company")
    assert cli.json("me", "show") == {}


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite files")
def test_a_database_in_a_missing_folder_is_refused_and_nothing_is_created(cli, tmp_path, monkeypatch):
    path = tmp_path / "no-such-folder" / "cadence.db"
    monkeypatch.setenv("CADENCE_DB", str(path))
    result = cli("today", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: the folder {path.parent} of database cadence.db does not exist: create it first "
        "(mkdir -p) or fix the path in --db or CADENCE_DB\n"
    )
    assert not path.parent.exists()
    result = cli("--db", str(path), "today", ok=False)
    assert result.exit_code == 1 and not path.parent.exists()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite files")
def test_a_new_database_file_is_announced_once_on_stderr_only(cli, tmp_path, monkeypatch):
    path = tmp_path / "new.db"
    monkeypatch.setenv("CADENCE_DB", str(path))
    first = cli("today", "--json", "--date", "2026-11-24")
    assert first.stderr == f"created a new database at {path}\n"
    assert json.loads(first.stdout) == []
    second = cli("today", "--json", "--date", "2026-11-24")
    assert second.stderr == ""
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite files")
def test_the_default_database_folder_is_still_created(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("CADENCE_DB")
    result = cli("today", "--date", "2026-11-24")
    created = tmp_path / "data" / "cadence" / "cadence.db"
    assert created.exists()
    assert result.stderr == f"created a new database at {created}\n"
