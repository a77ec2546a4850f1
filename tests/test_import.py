"""`cadence import`: real CRM export headers, file forms, normalisation, duplicates, report, safety, bad input."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from cadence.errors import CadenceError

FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = FIXTURES / "exports"
AT = ("--at", "2026-11-20T09:00", "--start", "2026-11-23")
NOW = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)


def dump() -> list:
    """Every row of every table that holds people or what happened to them."""
    from sqlalchemy import text

    from cadence.store.db import open_engine

    engine = open_engine(None)
    try:
        with engine.connect() as connection:
            return [list(connection.execute(text(f"SELECT * FROM {t} ORDER BY 1"))) for t in ("prospect", "touch")]
    finally:
        engine.dispose()


def people() -> list[dict]:
    """The stored prospects, in id order, as the fields a test compares."""
    from sqlalchemy import create_engine, select

    from cadence.store.address import resolve_url
    from cadence.store.models import Prospect

    engine = create_engine(resolve_url(None))
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Prospect.__table__).order_by(Prospect.id)).mappings().all()
    finally:
        engine.dispose()
    keys = ("first_name", "last_name", "title", "company", "phone", "email", "timezone", "owner", "tags", "status", "fields")
    return [{k: (json.loads(r[k]) if k == "fields" and isinstance(r[k], str) else r[k]) for k in keys} for r in rows]


def person(first, last, title, company, phone, email, zone, owner="", tags="", fields=None, status="active") -> dict:
    return {
        "first_name": first, "last_name": last, "title": title, "company": company, "phone": phone, "email": email,
        "timezone": zone, "owner": owner, "tags": tags, "status": status, "fields": fields or {},
    }


def write(tmp_path: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8", newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


# ---------------------------------------------------------------- every known export, with no options

EXPECTED = {
    "hubspot-contacts.csv": [
        person("Megan", "Holloway", "Director of Operations", "Brightline Freight", "+12125550134",
               "megan.holloway@brightlinefreight.example", "America/New_York", "Jordan Reyes",
               fields={"record_id": "51234001", "lead_status": "OPEN", "lifecycle_stage": "Lead",
                       "create_date": "2026-10-02 14:03", "city": "New York", "state_region": "NY",
                       "country_region": "United States"}),
        # The mobile beats "Phone Number"; the time zone comes from the phone when the cell is empty.
        person("Darnell", "Price", "Practice Manager", "Summit Ridge Dental Group", "+14155550188",
               "dprice@summitridgedental.example", "America/Los_Angeles", "Jordan Reyes",
               fields={"phone_number": "+1 415 555 0123", "record_id": "51234002", "lead_status": "IN_PROGRESS",
                       "lifecycle_stage": "Marketing Qualified Lead", "create_date": "2026-10-05 09:12",
                       "city": "San Francisco", "state_region": "CA", "country_region": "United States"}),
        person("Graham", "O'Neill", "Managing Director", "Harbourside Lettings", "+442079460958",
               "graham@harboursidelettings.example", "Europe/London",
               fields={"record_id": "51234003", "lead_status": "NEW", "lifecycle_stage": "Lead",
                       "create_date": "2026-10-07 11:40", "city": "London", "country_region": "United Kingdom"}),
    ],
    "salesforce-leads-report.csv": [
        person("Lucia", "Bianchi", "Office Manager", "Crescent Print Works", "+16175550109",
               "lucia.bianchi@crescentprint.example", "America/New_York", "Alex Morgan",
               fields={"lead_status": "Open - Not Contacted", "city": "Boston", "state_province": "MA", "country": "USA"}),
        person("Kevin", "Yoon", "Leasing Director", "Pinecrest Property Partners", "+15035550142", "",
               "America/Los_Angeles", "Alex Morgan",
               fields={"phone": "1-503-555-0186", "lead_status": "Working - Contacted", "city": "Portland",
                       "state_province": "OR", "country": "USA"}),
        person("Samantha", "Greer", "Fleet Manager", "Ironwood Logistics", "", "sgreer@ironwoodlogistics.example", "",
               "Alex Morgan",
               fields={"lead_status": "Open - Not Contacted", "city": "Dallas", "state_province": "TX", "country": "USA"}),
    ],
    "salesforce-contacts-report.csv": [
        person("René", "Dubois", "Founder", "Atelier Lumen", "+33142685300", "rene@atelierlumen.example", "Europe/Paris",
               "Alex Morgan", fields={"mailing_city": "Paris", "mailing_country": "France"}),
        # Alaska's numbers span two zones: none is guessed.
        person("Hannah", "Schultz", "Agency Principal", "Blue Heron Insurance Agency", "+19075550127",
               "hannah.schultz@blueheronins.example", "", "Alex Morgan",
               fields={"mailing_city": "Anchorage", "mailing_country": "USA"}),
    ],
    "salesforce-dataloader-leads.csv": [
        person("Marcus", "Bell", "Branch Manager", "Keystone Staffing Solutions", "+16025550115",
               "marcus.bell@keystonestaffing.example", "America/Phoenix", "0055g00000XyZ12AAB",
               fields={"id": "00Q5g00000AbCdEEAV", "status": "Open - Not Contacted"}),
        person("Priya", "Raman", "VP of Sales", "Northgate Analytics", "+16465550161",
               "priya.raman@northgate-analytics.example", "America/New_York", "0055g00000XyZ12AAB",
               fields={"id": "00Q5g00000AbCdFEAV", "status": "Working - Contacted"}),
    ],
    "apollo-people.csv": [
        # "Company" beats "Company Name for Emails"; the direct line beats mobile, first and corporate phones.
        person("Tom", "Whitaker", "Plant Manager", "Copperfield Manufacturing, Inc.", "+13035550162",
               "tom.whitaker@copperfieldmfg.example", "America/Denver", "casey@ourcompany.example",
               fields={"mobile_phone": "+1 720-555-0110", "first_phone": "+1 303-555-0199",
                       "corporate_phone": "+1 303-555-0100", "company_name_for_emails": "Copperfield Manufacturing",
                       "email_status": "Verified", "seniority": "Manager", "departments": "Operations", "stage": "Cold",
                       "employees": "250", "industry": "Industrial Machinery",
                       "person_linkedin_url": "http://www.linkedin.com/in/tomwhitaker-example",
                       "website": "http://www.copperfieldmfg.example", "city": "Denver", "state": "Colorado",
                       "country": "United States"}),
        person("Ana María", "López", "Head of Procurement", "Verde Valle Foods", "+13125550100",
               "anamaria.lopez@verdevalle.example", "America/Chicago", "casey@ourcompany.example",
               fields={"company_name_for_emails": "Verde Valle", "email_status": "Verified", "seniority": "Head",
                       "departments": "Procurement", "stage": "Cold", "employees": "80", "industry": "Food & Beverages",
                       "person_linkedin_url": "http://www.linkedin.com/in/anamarialopez-example",
                       "website": "http://www.verdevalle.example", "city": "Chicago", "state": "Illinois",
                       "country": "United States"}),
    ],
    "pipedrive-people.csv": [
        person("Nora", "Lindqvist", "CFO", "Fjord Analytics AB", "+46812345678", "nora@fjordanalytics.example",
               "Europe/Stockholm", "Sam Patel", "Hot lead", fields={"person_email_home": "nora.lindqvist@mail.example"}),
        # No first/last: "Person - Name" is split.
        person("Oskar", "Berg", "Data Engineer", "Fjord Analytics AB", "+46701234567", "oskar.berg@mail.example",
               "Europe/Stockholm", "Sam Patel"),
    ],
    "zoho-leads.csv": [
        person("Wei", "Chen", "Owner", "Lotus Garden Restaurants", "+12065550173", "wei.chen@lotusgarden.example",
               "America/Los_Angeles", "Dana Kim",
               fields={"record_id": "zcrm_5725767000000428001", "lead_status": "Not Contacted", "industry": "Hospitality",
                       "website": "www.lotusgarden.example", "city": "Seattle", "state": "WA", "country": "USA"}),
        person("Fatima", "Haddad", "Clinic Director", "Cedar & Sage Clinics", "+13135550199", "", "America/New_York",
               "Dana Kim",
               fields={"phone": "(313) 555-0148", "record_id": "zcrm_5725767000000428002", "lead_status": "Contacted",
                       "industry": "Healthcare", "city": "Detroit", "state": "MI", "country": "USA"}),
    ],
    "linkedin-sales-navigator.csv": [
        person("Julia", "Novak", "Head of IT", "Brightwater Hotels", "", "julia.novak@brightwaterhotels.example", "",
               fields={"linkedin_url": "https://www.linkedin.com/in/julia-novak-example",
                       "location": "Miami, Florida, United States"}),
        person("Pedro", "Alves", "Operations Director", "Portside Cargo", "+13055550190", "", "America/New_York",
               fields={"linkedin_url": "https://www.linkedin.com/in/pedro-alves-example",
                       "location": "Miami, Florida, United States"}),
    ],
    # No phone, no email: the profile is how to reach them (a task or social step; calls show "no phone").
    "linkedin-sales-navigator-profiles.csv": [
        person("Julia", "Novak", "Head of IT", "Brightwater Hotels", "", "", "",
               fields={"profileurl": "https://www.linkedin.com/in/julia-novak-example",
                       "location": "Miami, Florida, United States"}),
        person("Simone", "Weber", "Purchasing Manager", "Alpenblick Logistik GmbH", "", "", "",
               fields={"profileurl": "https://www.linkedin.com/in/simone-weber-example",
                       "location": "Munich, Bavaria, Germany"}),
    ],
    "google-contacts.csv": [
        # "Phone 2" is labelled Mobile, so it beats the Work number in "Phone 1".
        person("Olivia", "Bennett", "Owner", "Maple Street Bakery", "+15035550177", "olivia@maplestreetbakery.example",
               "America/Los_Angeles", tags="Prospects",
               fields={"phone_1": "(503) 555-0131", "middle_name": "Grace", "nickname": "Liv",
                       "notes": "Met at the farmers' market"}),
        person("Liam", "Gallagher", "", "Gallagher & Sons Roofing", "+353871234567", "liam.gallagher@mail.example", ""),
    ],
    "google-contacts-old.csv": [
        # Two numbers in one cell (" ::: "): the first is the phone, the second kept.
        person("Hiroshi", "Tanaka", "Export Manager", "Sakura Trading Co.", "+81312345678",
               "h.tanaka@sakura-trading.example", "Asia/Tokyo", fields={"phone_1": "+81 3-1234-5600"}),
        person("Isabel", "Ortiz", "Principal", "Ortiz Arquitectura", "+34612345678", "isabel.ortiz@mail.example", "",
               fields={"phone_2": "+34 91 123 45 67"}),
    ],
    "outlook-contacts.csv": [
        # "Title" is Mr./Ms. here: the job is "Job Title".
        person("Rachel", "Cohen", "Office Manager", "Harborview Law LLP", "+16175550187",
               "rachel.cohen@harborviewlaw.example", "America/New_York", tags="Prospects",
               fields={"business_phone": "(617) 555-0150", "courtesy_title": "Ms.", "business_fax": "(617) 555-0151",
                       "department": "Administration", "business_street": "1 Harbor Way", "business_city": "Boston",
                       "business_state": "MA", "business_postal_code": "02110",
                       "business_country_region": "United States"}),
        person("Daniel", "Okafor", "Practice Owner", "Riverside Veterinary Clinic", "+14045550166",
               "daniel.okafor@riversidevet.example", "America/New_York",
               fields={"e_mail_2_address": "dan.okafor@mail.example", "middle_name": "J.", "courtesy_title": "Dr.",
                       "business_city": "Atlanta", "business_state": "GA", "business_country_region": "United States"}),
    ],
    "spreadsheet-names.csv": [
        # "LAST, FIRST" in capitals; the direct dial with its extension beats the work phone.
        person("Megan", "Holloway", "Director of Operations", "Brightline Freight", "+12125550134;ext=204",
               "megan@brightlinefreight.example", "America/New_York", "jordan", fields={"work_phone": "(212) 555-0100"}),
        person("Ana María", "López", "head of procurement", "Verde Valle Foods", "+13125550147", "", "America/Chicago",
               "jordan"),
        # "Pacific Time" is understood; "Dr." is not part of the first name.
        person("Wei", "Chen", "Owner", "Lotus Garden Restaurants", "+12065550173", "wei.chen@lotusgarden.example",
               "America/Los_Angeles"),
    ],
    "spreadsheet-excel-europe.csv": [
        person("Zoë", "Müller", "Einkaufsleiterin", "Alpenblick Logistik GmbH", "+49891234567",
               "zoe.mueller@alpenblick.example", "Europe/Berlin", fields={"notiz": "Messe München – Kontakt"}),
        person("François", "Lefèvre", "Gérant", "Atelier Lumière", "+33612345678", "f.lefevre@atelier-lumiere.example",
               "Europe/Paris", fields={"notiz": "„Rückruf“ erwünscht"}),
    ],
    "spreadsheet-unicode-text.txt": [
        person("Søren", "Kierkegaard-Holm", "CEO", "Nordlys ApS", "+4532123456", "soren@nordlys.example",
               "Europe/Copenhagen"),
        person("Małgorzata", "Nowak", "Logistics Lead", "Wisła Trans", "+48221234567", "m.nowak@wislatrans.example",
               "Europe/Warsaw"),
    ],
}


def test_every_fixture_has_an_expectation():
    assert sorted(p.name for p in EXPORTS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_export_imports_with_no_options_into_the_right_fields(cli, name):
    report = cli.json("import", EXPORTS / name, *AT)
    expected = EXPECTED[name]
    assert (report["read"], report["added"], report["rejected"], report["flagged"]) == (len(expected), len(expected), [], [])
    assert people() == expected
    before = dump()
    again = cli.json("import", EXPORTS / name, *AT)
    assert (again["added"], again["already_present"], again["updated"]) == (0, len(expected), 0)
    assert dump() == before


def test_new_people_are_enrolled_from_the_start_date(cli):
    cli("import", EXPORTS / "zoho-leads.csv", *AT)
    items = cli.json("today", "--date", "2026-11-23")
    assert sorted((i["name"], i["step"], i["cadence"]) for i in items) == [
        ("Fatima Haddad", 1, "five-touch-fire"), ("Wei Chen", 1, "five-touch-fire"),
    ]


def test_no_enroll_adds_people_without_a_cadence(cli):
    cli("import", EXPORTS / "zoho-leads.csv", *AT, "--no-enroll")
    assert {(p["status"]) for p in people()} == {"paused"}
    assert cli.json("today", "--date", "2026-11-23") == []


def test_custom_fields_are_rendered_in_the_days_script(cli, tmp_path, monkeypatch):
    folder = tmp_path / "my-cadences"
    folder.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    (folder / "industry-call.yaml").write_text(
        "name: industry-call\nsteps:\n  - day: 1\n    type: call\n"
        "    script: Ask {{ prospect.first_name }} about {{ prospect.fields.industry }}.\n"
        "    voicemail: Call me back.\n",
        encoding="utf-8",
    )
    cli("import", EXPORTS / "zoho-leads.csv", *AT, "--cadence", "industry-call")
    scripts = {i["name"]: i["script"] for i in cli.json("today", "--date", "2026-11-23")}
    assert scripts == {"Wei Chen": "Ask Wei about Hospitality.", "Fatima Haddad": "Ask Fatima about Healthcare."}


# ---------------------------------------------------------------- the mapping


def test_alias_table_names_each_header_once():
    from cadence.importer import ALIASES, header_key

    seen: dict[str, str] = {}
    for target, aliases in ALIASES.items():
        for alias in aliases:
            key = header_key(alias)
            assert seen.setdefault(key, target) == target, f"{alias!r} is listed for {seen[key]} and {target}"


@pytest.mark.parametrize("header", ["E-mail Address", "email address", "EMAIL_ADDRESS", " Email  Address ", "e.mail address"])
def test_matching_ignores_case_spacing_and_punctuation(header):
    from cadence.importer import map_headers

    mapping = map_headers(["Name", header])
    assert mapping.described == [("Name", "name (split into first and last)"), (header.strip(), "email")]


def test_exact_field_name_beats_a_look_alike_in_either_order():
    from cadence.importer import map_headers

    for headers in (["Company Name for Emails", "Company", "Email", "Name"], ["Company", "Company Name for Emails", "Email", "Name"]):
        described = dict(map_headers(headers).described)
        assert (described["Company"], described["Company Name for Emails"]) == ("company", "fields.company_name_for_emails")


def test_phone_order_is_direct_mobile_work_other_per_row(tmp_path, cli):
    path = write(tmp_path, "Name,Other Phone,Work Phone,Mobile,Direct Dial\n"
                           "Ann One,(212) 555-0101,(212) 555-0102,(212) 555-0103,(212) 555-0104\n"
                           "Bob Two,(212) 555-0201,(212) 555-0202,(212) 555-0203,\n"
                           "Cat Three,(212) 555-0301,(212) 555-0302,,\n"
                           "Dan Four,(212) 555-0401,,,\n")
    cli("import", path, *AT)
    assert [(p["first_name"], p["phone"], p["fields"]) for p in people()] == [
        ("Ann", "+12125550104", {"other_phone": "(212) 555-0101", "work_phone": "(212) 555-0102", "mobile": "(212) 555-0103"}),
        ("Bob", "+12125550203", {"other_phone": "(212) 555-0201", "work_phone": "(212) 555-0202"}),
        ("Cat", "+12125550302", {"other_phone": "(212) 555-0301"}),
        ("Dan", "+12125550401", {}),
    ]


def test_map_overrides_and_ignores_columns(tmp_path, cli):
    path = write(tmp_path, "Contact Person,Reach At,Cell,Notes,Secret\nJane Smith,(212) 555-0101,(212) 555-0199,likes tea,x\n")
    cli("import", path, *AT, "--map", "contact person=name", "--map", "Reach At=phone", "--map", "Notes=fields.remarks",
        "--map", "Secret=ignore")
    assert [(p["first_name"], p["last_name"], p["phone"], p["fields"]) for p in people()] == [
        ("Jane", "Smith", "+12125550101", {"cell": "(212) 555-0199", "remarks": "likes tea"}),
    ]


def test_show_mapping_prints_the_mapping_and_first_rows_and_writes_nothing(cli):
    before = dump()
    result = cli("import", "--show-mapping", EXPORTS / "salesforce-leads-report.csv")
    assert result.stdout.splitlines()[:8] == [
        f"{EXPORTS / 'salesforce-leads-report.csv'}: utf-8, comma-separated",
        "column             goes to              ",
        "Lead Owner         owner                ",
        "First Name         first_name           ",
        "Last Name          last_name            ",
        "Title              title                ",
        "Company / Account  company              ",
        "Email              email                ",
    ]
    assert "  line 3: Kevin Yoon  Leasing Director, Pinecrest Property Partners" in result.stdout
    assert "    +15035550142 · America/Los_Angeles · Alex Morgan" in result.stdout
    assert dump() == before


def test_show_mapping_json(cli):
    shown = cli.json("import", "--show-mapping", EXPORTS / "pipedrive-people.csv")
    assert shown["mapping"][:2] == [
        {"header": "Person - Name", "field": "name (split into first and last)"},
        {"header": "Person - First name", "field": "first_name"},
    ]
    assert [(r["line"], r["first_name"], r["email"], r["fields"]) for r in shown["rows"]] == [
        (2, "Nora", "nora@fjordanalytics.example", {"person_email_home": "nora.lindqvist@mail.example"}),
        (3, "Oskar", "oskar.berg@mail.example", {}),
    ]
    assert people() == []


def test_own_export_round_trip_ignores_the_state_columns(cli, tmp_path):
    path = write(tmp_path, "first_name,last_name,company,title,phone,email,timezone,owner,source,tags,industry,field_status,"
                           "id,status,cadence,cadence_version,started_on,step,due_on,last_done_on,callback_on,postponements,"
                           "attempts,fired_on,paused_on,created_at,updated_at\n"
                           "Ann,One,Acme,CEO,+12125550101,ann@acme.example,America/New_York,,,vip,Software,gold,"
                           "7,fired,five-touch-fire,abc,2026-01-05,,,,,0,5,2026-01-12,,2026-01-01T00:00:00+00:00,x\n"
                           "Bob,Two,Acme,CTO,+12125550102,bob@acme.example,,,,,,,8,do-not-contact,,,,,,,,0,0,,,,\n")
    report = cli.json("import", path, *AT)
    assert report["added"] == 2
    assert [(p["first_name"], p["status"], p["tags"], p["fields"]) for p in people()] == [
        ("Ann", "active", "vip", {"industry": "Software", "status": "gold"}),
        ("Bob", "do-not-contact", "", {}),
    ]


# ---------------------------------------------------------------- file forms


def test_utf8_with_and_without_bom_crlf_blank_lines_trailing_empty_columns(cli, tmp_path):
    text = "Name,Email,,\n\nJosé Núñez,jose@example.com,,\n\n\nAnn Lee,ann@example.com,,\n"
    for i, (encoding, newline) in enumerate((("utf-8", "\n"), ("utf-8-sig", "\r\n"))):
        path = write(tmp_path, text, f"f{i}.csv", encoding, newline)
        report = cli.json("import", path, *AT)
        assert (report["encoding"], report["read"], report["rejected"]) == (encoding, 2, [])
    assert [(p["first_name"], p["last_name"]) for p in people()] == [("José", "Núñez"), ("Ann", "Lee")]


def test_quoted_fields_with_embedded_newlines_keep_line_numbers(cli, tmp_path):
    path = write(tmp_path, 'Name,Email,Notes\nAnn Lee,ann@example.com,"line one\nline two"\nBob Roe,,no contact\n')
    report = cli.json("import", path, *AT)
    assert report["rejected"] == [{"line": 4, "reason": "neither phone nor email"}]
    assert people()[0]["fields"] == {"notes": "line one\nline two"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(cli, tmp_path, delimiter):
    path = write(tmp_path, delimiter.join(["Name", "Email", "Company"]) + "\n"
                 + delimiter.join(["Ann Lee", "ann@example.com", '"Lee, Lee & Co"']) + "\n")
    report = cli.json("import", path, *AT)
    assert report["delimiter"] == delimiter
    assert [(p["first_name"], p["company"]) for p in people()] == [("Ann", "Lee, Lee & Co")]


def test_delimiter_option_wins_over_sniffing(cli, tmp_path):
    # Sniffing would pick the comma (two per line); the file is really separated by semicolons.
    path = write(tmp_path, "Name;Email;Notes\nAnn Lee;ann@example.com;a, b, c\n")
    report = cli.json("import", path, *AT, "--delimiter", ";")
    assert people()[0]["fields"] == {"notes": "a, b, c"}
    assert report["delimiter"] == ";"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_windows_1252_and_latin_1_are_detected(cli, tmp_path, encoding):
    text = "Name;E-mail;Firma\nRené Lefèvre;rene@example.com;Crème Brûlée SARL\n"
    if encoding == "latin-1":
        text = text.replace("SARL", "SARL \x81")  # a byte Windows-1252 lacks
    path = write(tmp_path, text, encoding=encoding)
    report = cli.json("import", path, *AT)
    assert report["encoding"] == encoding
    assert (people()[0]["first_name"], people()[0]["last_name"]) == ("René", "Lefèvre")


def test_encoding_option(cli, tmp_path):
    path = write(tmp_path, "Name,Email,Notes\nAnn Lee,ann@example.com,\u00e9t\u00e9\n", encoding="mac_roman")
    cli("import", path, *AT, "--encoding", "mac_roman")
    assert people()[0]["fields"] == {"notes": "été"}


def test_utf16_without_a_byte_order_mark(cli, tmp_path):
    path = write(tmp_path, "Name\tEmail\nAnn Lee\tann@example.com\n", encoding="utf-16-le")
    report = cli.json("import", path, *AT)
    assert (report["encoding"], report["delimiter"], report["added"]) == ("utf-16-le", "\t", 1)


# ---------------------------------------------------------------- normalisation


def test_phones_use_the_profile_region_or_the_region_option(cli, tmp_path):
    path = write(tmp_path, "Name,Phone\nAnn Lee,020 7946 0958\n")
    cli("me", "set", "region", "GB")
    cli("import", path, *AT)
    assert (people()[0]["phone"], people()[0]["timezone"]) == ("+442079460958", "Europe/London")
    path = write(tmp_path, "Name,Phone\nBob Roe,030 123456\n", "de.csv")
    cli("import", path, *AT, "--region", "de")
    assert people()[1]["phone"] == "+4930123456"


def test_invalid_phone_is_kept_as_written_and_flagged(cli, tmp_path):
    path = write(tmp_path, "Name,Phone\nAnn Lee,555-12\n")
    report = cli.json("import", path, *AT)
    assert report["flagged"] == [{"line": 2, "message": "phone '555-12' is not a valid number (region US): kept as written"}]
    assert (people()[0]["phone"], people()[0]["fields"]) == ("555-12", {"invalid_phone": "555-12"})
    result = cli("import", write(tmp_path, "Name,Phone\nBob Roe,12\n", "b.csv"), *AT)
    assert "│ imported with a flag   │ 1 │" in result.stdout
    assert result.stderr == "line 2: phone '12' is not a valid number (region US): kept as written\n"


def test_emails_lower_cased_and_checked(cli, tmp_path):
    path = write(tmp_path, "Name,Email,Phone\nAnn Lee,Ann.Lee@Example.COM,\nBob Roe,bob@@example.com,(212) 555-0101\n"
                           "Cat Poe,cat at example,\nDan Moe,dan@localhost,\n")
    report = cli.json("import", path, *AT)
    assert report["rejected"] == [
        {"line": 4, "reason": "email 'cat at example' is not a valid address and there is no phone"},
        {"line": 5, "reason": "email 'dan@localhost' is not a valid address and there is no phone"},
    ]
    assert [(p["first_name"], p["email"], p["fields"]) for p in people()] == [
        ("Ann", "ann.lee@example.com", {}),
        ("Bob", "", {"invalid_email": "bob@@example.com"}),
    ]


@pytest.mark.parametrize("raw", [
    "a.b-c_d+e%f@sub.example.com", "x@example.co.uk", "first.last@b\u00fccher.example", "\u00fcser@example.com",
    "a..b@example.com", ".a@example.com", "a.@example.com", "a@-example.com", "a@example", "a@example.c",
    "a@exa_mple.com", "a@123.456", "a@test", "a@x.local", "a" * 65 + "@example.com", "a@" + "b" * 64 + ".com",
    "\"quoted\"@example.com", "a@[192.168.0.1]", "UPPER@EXAMPLE.ORG",
])
def test_fast_email_check_agrees_with_email_validator(raw):
    from email_validator import EmailNotValidError, validate_email

    from cadence.domain.contacts import normalise_email

    try:
        expected = (True, validate_email(raw, check_deliverability=False).normalized.lower())
    except EmailNotValidError:
        expected = (False, raw.lower())
    got = normalise_email(raw)
    assert (got.valid, got.text) == expected


def test_names_are_tidied(cli, tmp_path):
    path = write(tmp_path, "First Name,Last Name,Email\n  MARY-KATE ,  MCDONALD ,a@example.com\n"
                           "jean-luc,o'neill,b@example.com\nDe'Andre,van der Berg,c@example.com\n")
    cli("import", path, *AT)
    assert [(p["first_name"], p["last_name"]) for p in people()] == [
        ("Mary-Kate", "McDonald"), ("Jean-Luc", "O'Neill"), ("De'Andre", "van der Berg"),
    ]


def test_time_zones_from_the_column_or_the_phone(cli, tmp_path):
    path = write(tmp_path, "Name,Phone,Time Zone\n"
                           "Ann Lee,(212) 555-0101,Europe/Paris\n"      # the column wins over the phone
                           "Bob Roe,(212) 555-0102,\n"                  # from the phone
                           "Cat Poe,+61 412 345 678,\n"                 # Australian mobile: several zones
                           "Dan Moe,(212) 555-0104,Mars/Olympus\n"      # not a zone: kept aside, phone used
                           "Eve Koe,(212) 555-0105,(GMT-08:00) Pacific Time (US & Canada)\n")
    report = cli.json("import", path, *AT)
    assert [(p["first_name"], p["timezone"]) for p in people()] == [
        ("Ann", "Europe/Paris"), ("Bob", "America/New_York"), ("Cat", ""), ("Dan", "America/New_York"),
        ("Eve", "America/Los_Angeles"),
    ]
    assert people()[3]["fields"] == {"timezone_as_written": "Mars/Olympus"}
    assert report["flagged"] == [
        {"line": 5, "message": "time zone 'Mars/Olympus' is not one cadence knows: kept as fields.timezone_as_written"},
    ]


# ---------------------------------------------------------------- duplicates


def test_duplicates_in_file_by_email_then_phone(cli, tmp_path):
    path = write(tmp_path, "Name,Email,Phone,Company\n"
                           "Ann Lee,ann@acme.example,(212) 555-0101,Acme\n"
                           "ANN LEE,ANN@ACME.EXAMPLE,,Acme\n"            # same email
                           "Ann L.,,+1 212 555 0101,Acme\n"              # same phone, no email
                           "Bob Roe,bob@acme.example,(212) 555-0100,Acme\n"
                           "Cat Poe,cat@acme.example,(212) 555-0100,Acme\n")  # a shared main line, her own email
    report = cli.json("import", path, *AT)
    assert (report["added"], report["duplicates_in_file"]) == (3, 2)
    assert [p["first_name"] for p in people()] == ["Ann", "Bob", "Cat"]


def test_match_name_only_when_asked(cli, tmp_path):
    cli("import", write(tmp_path, "Name,Email,Company\nAnn Lee,ann@acme.example,Acme\n"), *AT)
    again = write(tmp_path, "Name,Email,Company\nann lee,ann.lee@gmail.example,ACME\n", "b.csv")
    assert cli.json("import", again, *AT, "--dry-run")["added"] == 1
    report = cli.json("import", again, *AT, "--match-name")
    assert (report["added"], report["already_present"]) == (0, 1)


def test_update_fills_only_empty_fields_and_never_the_cadence(cli, tmp_path):
    cli("add", "--first", "Ann", "--last", "Lee", "--email", "ann@acme.example", "--company", "Acme", "--start", "2026-11-23")
    cli("log", "Ann", "vm", "--at", "2026-11-23T10:00", "--force")  # no phone yet: the import fills it
    before = cli.json("show", "Ann")
    path = write(tmp_path, "Name,Email,Phone,Company,Title,Industry\n"
                           "Annie Lee-Smith,ann@acme.example,(212) 555-0101,Other Co,CEO,Software\n")
    skipped = cli.json("import", path, *AT)
    assert (skipped["already_present"], skipped["updated"]) == (1, 0)
    assert cli.json("show", "Ann") == before
    report = cli.json("import", path, *AT, "--update")
    assert (report["added"], report["already_present"], report["updated"]) == (0, 1, 1)
    after = cli.json("show", "Ann")
    assert (after["name"], after["company"], after["phone"], after["title"], after["fields"]) == (
        "Ann Lee", "Acme", "+12125550101", "CEO", {"industry": "Software"},
    )
    assert {k: after[k] for k in ("status", "cadence", "next_step", "next_due", "attempts", "touches")} == {
        k: before[k] for k in ("status", "cadence", "next_step", "next_due", "attempts", "touches")
    }
    state = dump()
    again = cli.json("import", path, *AT, "--update")
    assert (again["already_present"], again["updated"]) == (1, 0)
    assert dump() == state


def test_update_merges_a_later_row_of_the_same_file(cli, tmp_path):
    rows = ["Name,Email,Phone,Title"] + [f"P{i} Lee,p{i}@acme.example,,{''}" for i in range(1200)]
    rows.append("P3 Lee,p3@acme.example,(212) 555-0101,CFO")      # its first row is in the first batch
    rows.append("P1199 Lee,p1199@acme.example,,VP")                # its first row is still waiting
    report = cli.json("import", write(tmp_path, "\n".join(rows) + "\n"), *AT, "--update")
    assert (report["added"], report["duplicates_in_file"], report["updated"]) == (1200, 2, 0)
    stored = {p["first_name"]: p for p in people()}
    assert (stored["P3"]["phone"], stored["P3"]["title"]) == ("+12125550101", "CFO")
    assert stored["P1199"]["title"] == "VP"


def test_do_not_contact_people_are_never_re_added_or_re_enrolled(cli, tmp_path):
    cli("add", "--first", "Ann", "--last", "Lee", "--phone", "(212) 555-0101", "--start", "2026-11-23")
    cli("log", "Ann", "dnc", "--at", "2026-11-23T10:00")
    before = dump()
    path = write(tmp_path, "Name,Email,Phone\nAnn Lee,ann@acme.example,(212) 555-0101\n"
                           "Ann Lee,ann@acme.example,\n")
    for options in ((), ("--update",), ("--match-name",)):
        report = cli.json("import", path, *AT, *options)
        assert (report["added"], report["do_not_contact"], report["updated"]) == (0, 2, 0)
    assert dump() == before


def test_do_not_call_column_adds_people_as_do_not_contact(cli, tmp_path):
    path = write(tmp_path, "Name,Phone,Do Not Call\nAnn Lee,(212) 555-0101,true\nBob Roe,(212) 555-0102,false\n")
    cli("import", path, *AT)
    assert [(p["first_name"], p["status"]) for p in people()] == [("Ann", "do-not-contact"), ("Bob", "active")]
    assert [i["name"] for i in cli.json("today", "--date", "2026-11-23")] == ["Bob Roe"]


# ---------------------------------------------------------------- report, dry run, rejects


def test_summary_table(cli, tmp_path):
    path = write(tmp_path, "Name,Email,Phone\nAnn Lee,ann@example.com,\nAnn Lee,ANN@example.com,\nBob Roe,,\n"
                           "Cat Poe,,555-12\n")
    result = cli("import", path, *AT)
    assert result.stdout == (
        f"Import of {path}\n"
        "┌────────────────────────┬───┐\n"
        "│ rows read              │ 4 │\n"
        "│ added                  │ 2 │\n"
        "│ updated                │ 0 │\n"
        "│ duplicates in file     │ 1 │\n"
        "│ already present        │ 0 │\n"
        "│ do-not-contact skipped │ 0 │\n"
        "│ rejected               │ 1 │\n"
        "│ imported with a flag   │ 1 │\n"
        "└────────────────────────┴───┘\n"
    )
    assert result.stderr == (
        "line 4: neither phone nor email\n"
        "line 5: phone '555-12' is not a valid number (region US): kept as written\n"
    )


def test_dry_run_writes_nothing_and_reports_the_same(cli, tmp_path):
    path = EXPORTS / "salesforce-leads-report.csv"
    before = dump()
    dry = cli.json("import", path, *AT, "--dry-run")
    assert dump() == before
    real = cli.json("import", path, *AT)
    assert {**dry, "dry_run": False} == real
    result = cli("import", path, *AT, "--dry-run")
    assert "nothing written" in result.stdout


def test_rejects_file_lists_rows_with_line_and_reason(cli, tmp_path):
    path = write(tmp_path, "Name,Email,Phone\nAnn Lee,ann@example.com,\n,nobody@example.com,\nBob Roe,,\n"
                           'Cat Poe,cat@example.com,,"extra"\nDan Moe\n')
    rejects = tmp_path / "out" / "rejects.csv"
    rejects.parent.mkdir()
    report = cli.json("import", path, *AT, "--rejects", rejects)
    assert report["rejected"] == [
        {"line": 3, "reason": "no name"},
        {"line": 4, "reason": "neither phone nor email"},
        {"line": 5, "reason": "4 cells but the header has 3"},
        {"line": 6, "reason": "1 cells but the header has 3"},
    ]
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["Rejected line", "Rejected reason", "Name", "Email", "Phone"],
            ["3", "no name", "", "nobody@example.com", ""],
            ["4", "neither phone nor email", "Bob Roe", "", ""],
            ["5", "4 cells but the header has 3", "Cat Poe", "cat@example.com", "", "extra"],
            ["6", "1 cells but the header has 3", "Dan Moe"],
        ]
    # Fixed by hand, the rejects file imports as it is: its own two columns are ignored.
    rejects.write_text("Rejected line,Rejected reason,Name,Email,Phone\n4,neither phone nor email,Bob Roe,bob@example.com,\n",
                       encoding="utf-8")
    again = cli.json("import", rejects, *AT)
    assert (again["added"], again["mapping"]["Rejected line"]) == (1, "ignored")
    assert people()[-1]["fields"] == {}


def test_progress_is_reported_in_batches_and_hidden_off_a_terminal(cli, pipeline, tmp_path):
    from cadence.importer import import_file

    rows = "".join(f"P{i} Lee,p{i}@example.com\n" for i in range(2500))
    path = write(tmp_path, "Name,Email\n" + rows)
    calls = []
    import_file(pipeline, path, NOW, progress=lambda done, total, read: calls.append((done <= total, read)))
    assert [read for _ok, read in calls] == [1000, 2000, 2500]
    assert all(ok for ok, _read in calls)
    result = cli("import", write(tmp_path, "Name,Email\n" + rows.replace("example", "example2"), "b.csv"), *AT)
    assert result.stderr == ""


# ---------------------------------------------------------------- safety


def test_a_failure_mid_import_leaves_the_database_as_it_was(pipeline, tmp_path, monkeypatch, prospect_factory):
    from cadence import importer
    from cadence.store import queries

    prospect_factory(first_name="Existing")
    before = dump()
    rows = "".join(f"P{i} Lee,p{i}@example.com\n" for i in range(2500))
    path = write(tmp_path, "Name,Email\n" + rows)
    real = queries.insert_prospects
    calls = []

    def failing(session, rows, **options):
        calls.append(len(rows))
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C between two batches
        return real(session, rows, **options)

    monkeypatch.setattr(queries, "insert_prospects", failing)
    rejects = tmp_path / "rejects.csv"
    with pytest.raises(KeyboardInterrupt):
        importer.import_file(pipeline, path, NOW, rejects=rejects)
    assert calls == [1000, 1000]
    assert dump() == before
    assert not rejects.exists() and not (tmp_path / "rejects.csv.part").exists()


def test_library_entry_point(pipeline):
    from cadence.importer import import_file

    report = import_file(pipeline, EXPORTS / "zoho-leads.csv", NOW, cadence="three-voicemails", start=date(2026, 11, 23))
    assert (report.read, report.added) == (2, 2)
    assert {p["status"] for p in people()} == {"active"}


# ---------------------------------------------------------------- bad input


def _bad(cli, tmp_path, args, message):
    before = dump()
    result = cli("import", *args, ok=False)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message.replace("{tmp}", str(tmp_path))]
    assert result.stdout == ""
    assert dump() == before


BAD_FILES = [
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "error: {tmp}/bad.csv: this is a binary file, not CSV text"),
    ("xlsx", b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
     "error: {tmp}/bad.csv: this is an Excel or zip file, not CSV: save it as CSV (UTF-8) and import that"),
    ("old xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",
     "error: {tmp}/bad.csv: this is an old Excel (.xls) or other Office file, not CSV: save it as CSV (UTF-8) and import that"),
    ("NUL later", b"Name,Email\nAnn Lee,ann@example.com\n" + b"x" * 70000 + b"\nBob\x00,b@example.com\n",
     "error: {tmp}/bad.csv:4: this is a binary file, not CSV text (a NUL byte)"),
    ("empty", b"", "error: {tmp}/bad.csv: the file is empty: a CSV file with a header row is needed"),
    ("blank lines only", b"\n\r\n  \n", "error: {tmp}/bad.csv: the file is empty: a CSV file with a header row is needed"),
    ("header only", b"Name,Email\n\n", "error: {tmp}/bad.csv: no rows under the header (line 1): nothing to import"),
    ("no usable header", b"\nFoo,Bar,Baz\n1,2,3\n",
     "error: {tmp}/bad.csv:2: no usable header: need a name column and an email or phone column "
     "(found: Foo, Bar, Baz); say which is which with --map, e.g. --map 'Foo=name'"),
    ("duplicate header", b"Name,Email,Phone,email\nAnn,a@example.com,,b@example.com\n",
     "error: {tmp}/bad.csv:1: the header has 'email' twice (columns 2 and 4): rename one so each column has its own name"),
    ("quote never closed", b'Name,Email,Notes\nAnn Lee,ann@example.com,"open\nBob Roe,bob@example.com,x\n',
     "error: {tmp}/bad.csv:2: a quote opened on this line is never closed, so the rest of the file would be one cell: "
     "close it and import again"),
    ("wrong encoding option", "Name,Email\nRené,r@example.com\n".encode("cp1252"),
     "error: {tmp}/bad.csv:1: not valid utf-8 text: give the file's encoding with --encoding (e.g. cp1252)"),
]


@pytest.mark.parametrize("content, message", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_file_is_one_error_line_and_writes_nothing(cli, tmp_path, prospect_factory, content, message):
    prospect_factory()
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    extra = ("--encoding", "utf-8") if "encoding option" in message or "not valid utf-8" in message else ()
    _bad(cli, tmp_path, [path, *AT, *extra, "--rejects", tmp_path / "rejects.csv"], message)
    assert not (tmp_path / "rejects.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["{tmp}/nope.csv"], "error: {tmp}/nope.csv: no such file"),
    (["{tmp}"], "error: {tmp}: is a folder, not a CSV file"),
    (["{ok}", "--map", "Email"], "error: --map 'Email': write it as 'Header=field', e.g. --map 'Direct Dial=phone'"),
    (["{ok}", "--map", "Email=e-mail address"],
     "error: --map 'Email=e-mail address': unknown field 'e-mail address'; use one of first_name, last_name, name, "
     "company, title, timezone, owner, source, tags, do_not_contact, linkedin, email, phone, fields.<name> or ignore"),
    (["{ok}", "--map", "Mobile=phone"],
     "error: {tmp}/ok.csv:1: --map names a column 'Mobile' the file does not have (found: Name, Email)"),
    (["{ok}", "--region", "XX"], "error: unknown phone region 'XX': use a two-letter country code such as US or GB"),
    (["{ok}", "--encoding", "klingon"], "error: unknown encoding 'klingon' for --encoding: try utf-8, cp1252, latin-1 or utf-16"),
    (["{ok}", "--delimiter", "::"], "error: invalid --delimiter '::': give one character such as ',', ';', '|' or 'tab'"),
    (["{ok}", "--cadence", "nope"], "error: no cadence named 'nope'"),
])
def test_bad_option_or_path_is_one_error_line_and_writes_nothing(cli, tmp_path, prospect_factory, args, message):
    prospect_factory()
    (tmp_path / "ok.csv").write_text("Name,Email\nAnn Lee,ann@example.com\n", encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)).replace("{ok}", str(tmp_path / "ok.csv")) for a in args]
    before = dump()
    result = cli("import", *args, *AT, ok=False)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(message.replace("{tmp}", str(tmp_path)))
    assert result.stdout == ""
    assert dump() == before


def test_unreadable_file(cli, tmp_path, monkeypatch, prospect_factory):
    prospect_factory()
    path = tmp_path / "locked.csv"
    path.write_text("Name,Email\nAnn Lee,ann@example.com\n", encoding="utf-8")
    real_open = Path.open

    def refusing(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    _bad(cli, tmp_path, [path, *AT], "error: {tmp}/locked.csv: permission denied: cannot read the file")


def test_row_level_problems_are_rejected_and_the_rest_committed(cli, tmp_path):
    big = "x" * (64 * 1024 + 1)
    path = write(tmp_path, f"Name,Email,Notes\nAnn Lee,ann@example.com,ok\nBob Roe,bob@example.com,{big}\n"
                           "Cat Poe,cat@example.com\nDan Moe,dan@example.com,a,b\nEve Koe,eve@example.com,fine,,\n")
    result = cli("import", path, *AT)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "line 3: the cell in column 'Notes' is over 64 KB",
        "line 4: 2 cells but the header has 3",
        "line 5: 4 cells but the header has 3",
    ]
    assert [p["first_name"] for p in people()] == ["Ann", "Eve"]


def test_a_stray_quote_rejects_its_row_only(cli, tmp_path):
    path = write(tmp_path, 'Name,Email,Notes\nAnn Lee,ann@example.com,"quoted" then text\nBob Roe,bob@example.com,x\n')
    report = cli.json("import", path, *AT)
    assert report["rejected"] == [{"line": 2, "reason": "badly quoted cell (',' expected after '\"')"}]
    assert [p["first_name"] for p in people()] == ["Bob"]


def test_import_file_refuses_an_unknown_map_field_before_touching_the_file(pipeline, tmp_path):
    from cadence.importer import import_file

    with pytest.raises(CadenceError, match="unknown field 'mobile phone'"):
        import_file(pipeline, tmp_path / "missing.csv", NOW, overrides={"Mobile": "mobile phone"})


# ---------------------------------------------------------------- the fast paths agree with the slow ones


def test_phone_fast_path_agrees_with_the_public_phonenumbers_calls():
    import random

    import phonenumbers
    from phonenumbers import timezone as zones

    from cadence.domain.contacts import normalise_phone

    rng = random.Random(20261124)
    prefixes = ["+1", "+1 ", "(", "1-", "+44", "+44 (0)", "+49", "+33", "+61", "+81", "+34", "+7", "+353", "+39 0", "00", ""]
    checked = valid = 0
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 11)))
        raw = rng.choice(prefixes) + rng.choice(["-", " ", ".", ""]).join([digits[:3], digits[3:]]) + rng.choice(["", "", " x12"])
        for region in ("US", "GB", "IT"):
            got = normalise_phone(raw, region)
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                assert (got.valid, got.text) == (False, raw)
                continue
            checked += 1
            if not phonenumbers.is_valid_number(number):
                assert (got.valid, got.text, got.zone) == (False, raw, "")
                continue
            valid += 1
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            found = zones.time_zones_for_number(number)
            zone = found[0] if len(found) == 1 and found[0] != "Etc/Unknown" else ""
            text = e164 + (f";ext={number.extension}" if number.extension else "")
            assert (got.valid, got.text, got.key, got.region, got.zone) == (
                True, text, e164, phonenumbers.region_code_for_number(number), zone,
            ), raw
    assert checked > 5000 and valid > 1000


@pytest.mark.parametrize("region", ["US", "GB", "CA"])
def test_north_american_shortcut_gives_what_phonenumbers_parse_gives(region):
    import random

    import phonenumbers

    from cadence.domain.contacts import _north_american

    rng = random.Random(region)
    taken = 0
    for _ in range(5000):
        digits = str(rng.randint(0, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.choice([9, 9, 10])))
        for plain in (digits, "+1" + digits, "+" + digits):
            shortcut = _north_american(plain, region)
            if shortcut is not None:
                taken += 1
                assert shortcut == phonenumbers.parse(plain, region), plain
    assert taken > 2000


def test_plain_sqlite_insert_stores_what_the_orm_path_stores(cli, tmp_path):
    import sqlite3

    rows = {}
    for options in ((), ("--update",)):  # --update inserts through SQLAlchemy to get the new ids back
        db = tmp_path / f"db{len(rows)}.db"
        cli("--db", db, "import", EXPORTS / "hubspot-contacts.csv", *AT, *options)
        cli("--db", db, "import", EXPORTS / "salesforce-leads-report.csv", *AT, *options)
        with sqlite3.connect(db) as connection:
            rows[options] = connection.execute("SELECT * FROM prospect ORDER BY id").fetchall()
    assert rows[()] == rows[("--update",)]
    assert len(rows[()]) == 6
