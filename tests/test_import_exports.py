"""Issue 16: real export rows land whole (first valid email and phone, completed names, company
columns, letters in custom field names, ';' tags, the Pipedrive deals export), in bounded memory."""

from __future__ import annotations

from pathlib import Path

from test_import import AT, NOW, people, write

FIXTURES = Path(__file__).parent / "fixtures" / "issue16"


def test_outlook_x500_email_and_bad_business_phone_do_not_hide_valid_ones(cli):
    cli("import", str(FIXTURES / "outlook-contacts.csv"), *AT)
    [row] = people()
    assert row["email"] == "amaka.eze@lagoonfoods.example"
    assert row["phone"] == "+13125550142"
    assert row["title"] == "Head of Procurement"
    assert row["fields"]["e_mail_address"].startswith("/o=ExchangeLabs/ou=")
    assert row["fields"]["e_mail_3_address"] == "amaka@home.example"
    assert row["fields"]["business_phone"] == "not a number"
    assert "invalid_email" not in row["fields"] and "invalid_phone" not in row["fields"]


def test_outlook_categories_become_separate_tags(cli):
    cli("import", str(FIXTURES / "outlook-contacts.csv"), *AT)
    assert people()[0]["tags"] == "Kunde, VIP"


def test_zoho_missing_first_name_is_completed_from_the_full_name(cli):
    cli("import", str(FIXTURES / "zoho-leads.csv"), *AT)
    first, second = people()
    assert (first["first_name"], first["last_name"]) == ("Chidi", "Okafor")
    assert (second["first_name"], second["last_name"]) == ("", "Nwosu")


def test_scripts_first_name_falls_back_to_the_full_name(pipeline, prospect_factory):
    from sqlalchemy import select

    from cadence.store.models import Prospect

    prospect_factory(first_name="", last_name="Nwosu", email="nwosu@deltamills.example")
    with pipeline.reading() as session:
        row = session.execute(select(Prospect)).scalar_one()
        context = pipeline.context(row, None, None)
    assert context["prospect"]["first_name"] == "Nwosu"


def test_apollo_empty_company_is_filled_from_company_name_for_emails(cli):
    cli("import", str(FIXTURES / "apollo-people.csv"), *AT)
    [row] = people()
    assert row["company"] == "Raman Analytics"
    assert "company_name_for_emails" not in row["fields"]


def test_custom_field_names_keep_their_letters(cli, tmp_path, monkeypatch):
    cli("import", str(FIXTURES / "apollo-people.csv"), *AT)
    assert people()[0]["fields"]["höbbela"] == "Grün"
    folder = tmp_path / "cadences"
    folder.mkdir()
    (folder / "letters.yaml").write_text(
        "name: letters\nsteps:\n  - day: 1\n    type: call\n    script: |\n      Hi {{ prospect.first_name }}, {{ prospect.fields.höbbela }}\n    voicemail: Hi {{ prospect.fields.höbbela }}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    result = cli("cadences", "validate", str(folder / "letters.yaml"))
    assert result.exit_code == 0


def test_pipedrive_deals_export_imports_with_no_options(cli):
    result = cli("import", str(FIXTURES / "pipedrive-deals.csv"), *AT)
    assert result.exit_code == 0
    [row] = people()
    assert (row["first_name"], row["last_name"]) == ("Lucia", "Bianchi")
    assert row["email"] == "lucia@bianchi-trasporti.example"
    assert row["company"] == "Bianchi Trasporti"
    assert row["fields"]["deal_title"] == "Fleet renewal"


def test_refusal_hint_names_a_plausible_column_for_the_missing_field(cli, tmp_path):
    path = write(tmp_path, "Deal - Title,Deal - Value,Kontaktperson,Email\nFleet,1,Lucia Bianchi,lucia@example.com\n")
    result = cli("import", str(path), *AT, ok=False)
    assert result.exit_code == 1
    assert result.stderr.rstrip().endswith("--map 'Kontaktperson=name'")
    path = write(tmp_path, "Full Name,Deal - Value,Kontakt Mail\nLucia Bianchi,1,lucia@example.com\n", "b.csv")
    result = cli("import", str(path), *AT, ok=False)
    assert result.stderr.rstrip().endswith("--map 'Kontakt Mail=email'")


def test_duplicates_across_batches_are_exact(pipeline, tmp_path, prospect_factory):
    """The file's earlier rows are found in the database once their batch is written, and people
    already stored are told apart from repeats of the file."""
    from cadence.importer import import_file

    prospect_factory(first_name="Stored", last_name="One", email="p7@example.com")
    rows = [f"P{i} Lee,p{i}@example.com\n" for i in range(2500)]
    rows += [f"Again{i} Lee,p{i}@example.com\n" for i in (5, 1500, 2400)]  # repeats of rows in other batches
    rows += ["Stored Again,p7@example.com\n"]
    report = import_file(pipeline, write(tmp_path, "Name,Email\n" + "".join(rows)), NOW)
    assert (report.added, report.duplicates_in_file, report.already_present) == (2499, 4, 1)
    assert len(people()) == 2500


def test_memory_does_not_grow_with_the_file(pipeline, tmp_path):
    import tracemalloc

    from cadence.importer import import_file

    def peak(count: int, name: str) -> int:
        text = "Name,Email\n" + "".join(f"Pat Lee,p{i}@{name}.example\n" for i in range(count))
        path = write(tmp_path, text, name + ".csv")
        tracemalloc.start()
        import_file(pipeline, path, NOW, enroll=False)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    peak(2000, "warm")  # caches and first imports
    small, large = peak(3000, "small"), peak(15000, "large")
    assert large < small * 1.5, (small, large)
