"""Mapping a file's header to our fields: the table of aliases (data), --map overrides, custom fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from cadence.domain.cells import unneutralise
from cadence.domain.names import plain_key, plain_name
from cadence.errors import CadenceError
from cadence.importer.reading import Source, open_source, read_header

# ---------------------------------------------------------------- the table of aliases (data)
#
# Our fields and the headers that mean them, in order of preference: when two
# columns of a file mean the same field, the one earlier in its list wins and
# the other is kept as a custom field. Headers are compared after `header_key`
# (case, spacing and punctuation ignored). Phones and emails come in kinds:
# each row takes the first non-empty one in the order of PHONE_KINDS /
# EMAIL_KINDS, and keeps the others as custom fields.
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": (
        "first_name", "first name", "firstname", "given name", "first", "forename", "person - first name",
        "vorname", "prénom", "nombre", "nome",
    ),
    "last_name": (
        "last_name", "last name", "lastname", "surname", "family name", "last", "person - last name",
        "nachname", "familienname", "nom", "apellido", "apellidos", "cognome",
    ),
    # A name in one column: split into first and last when those columns are absent or empty.
    "name": (
        "name", "full name", "fullname", "contact name", "contact", "person - name", "lead name", "display name",
        "deal - contact person", "contact person",
    ),
    "company": (
        # "Company" itself first: it beats look-alikes such as Apollo's "Company Name for Emails".
        "company", "company name", "company / account", "account name", "account", "organization",
        "organisation", "organization name", "organization 1 - name", "person - organization", "employer",
        "company name for emails", "associated company", "organization - name", "firma", "unternehmen", "société", "entreprise", "empresa", "azienda",
    ),
    "title": (
        # "Job Title" before "Title": in an Outlook export "Title" is Mr./Ms. and the job is "Job Title".
        "job title", "title", "position", "job position", "role", "designation", "job", "organization title",
        "organization 1 - title", "person - job title", "funktion", "fonction", "poste", "cargo", "ruolo",
    ),
    "timezone": ("timezone", "time zone", "tz", "time zone name", "iana time zone"),
    "owner": (
        "owner", "contact owner", "lead owner", "record owner", "account owner", "owner id", "ownerid",
        "person - owner", "sales rep", "assigned to",
    ),
    "source": ("source", "lead source", "leadsource", "original source", "contact source"),
    "tags": ("tags", "tag", "labels", "label", "person - label", "categories", "group membership"),
    # A LinkedIn profile: kept as a custom field under its header's name, and enough to reach
    # someone when a row has neither phone nor email (Sales Navigator exports often have neither).
    "linkedin": (
        "linkedin url", "linkedin", "linkedin profile", "linkedin profile url", "person linkedin url",
        "profile url", "profileurl", "sales navigator url",
    ),
    "do_not_contact": ("do not contact", "do not call", "donotcall", "dnc"),
    "phone:direct": ("direct dial", "direct phone", "work direct phone", "direct line", "direct number", "direct"),
    "phone:mobile": (
        "mobile", "mobile phone", "mobile phone number", "mobilephone", "mobile number", "cell", "cell phone",
        "cellphone", "cellular", "phone - mobile", "person - phone - mobile", "handy", "mobil", "mobiltelefon",
        "portable", "móvil", "cellulare",
    ),
    "phone:work": (
        "phone", "phone number", "work phone", "business phone", "telephone", "telephone number", "tel",
        "office phone", "company phone", "corporate phone", "main phone", "company main phone", "primary phone",
        "first phone", "phone - work", "person - phone - work", "person - phone", "telefon", "téléphone",
        "teléfono", "telefono",
    ),
    "phone:other": (
        "other phone", "home phone", "home phone 2", "phone 2", "business phone 2", "secondary phone",
        "alternate phone", "alternative phone", "personal phone", "private phone", "phone - home",
        "phone - other", "person - phone - home", "person - phone - other",
    ),
    "email:work": (
        "email", "e-mail", "email address", "e-mail address", "mail", "work email", "business email",
        "primary email", "email - work", "person - email - work", "person - email", "courriel", "correo",
        "correo electrónico", "e-mail-adresse",
    ),
    "email:other": (
        "personal email", "home email", "other email", "secondary email", "email 2", "e-mail 2",
        "e-mail 2 address", "e-mail 3 address", "private email", "email - home", "email - other",
        "person - email - home", "person - email - other",
    ),
    # Columns of a rejects file written by `import --rejects`, so a fixed one imports cleanly.
    "ignore": ("rejected line", "rejected reason"),
}
PHONE_KINDS = ("direct", "mobile", "work", "other")
EMAIL_KINDS = ("work", "other")
# Google Contacts puts each phone and email in a pair of columns ("Phone 1 - Label",
# "Phone 1 - Value"); the label cell of the row says which kind the value is.
LABEL_KINDS: dict[str, str] = {
    "direct": "direct", "mobile": "mobile", "cell": "mobile", "iphone": "mobile", "work": "work",
    "business": "work", "office": "work", "main": "work", "company": "work", "home": "other", "other": "other",
    "personal": "other", "private": "other",
}
# Words some CRMs put before every column ("Person - Name"); tried when the whole header is unknown.
PREFIXES = ("person", "contact", "lead", "prospect")
# A file written by `cadence export`: its state columns describe this database, not the person.
OWN_EXPORT_STATE = (
    "id", "cadence", "cadence_version", "started_on", "step", "due_on", "last_done_on", "callback_on",
    "postponements", "attempts", "fired_on", "paused_on", "variant_slot", "created_at", "updated_at",
)
# Time zones as people write them in a "Time Zone" column, after "time", "standard",
# "daylight", "(GMT-05:00)" and "(US & Canada)" are taken out.
SINGLE_FIELDS = (
    "first_name", "last_name", "name", "company", "title", "timezone", "owner", "source", "tags", "do_not_contact", "linkedin",
)
# A column that lost to a better one, kept under a clearer name than its header's:
# Outlook's "Title" (beaten by "Job Title") holds Mr./Ms.
LOSER_NAMES = {"title": "courtesy_title"}

MAP_FIELDS = (*SINGLE_FIELDS, "email", "phone")


def header_key(text: str) -> str:
    """A header reduced to lower-case letters and digits, for matching."""
    return plain_key(text)


def field_name(header: str) -> str:
    """The name a custom column is reached by in scripts: prospect.fields.<name>."""
    return plain_name(header, "_", letters=True) or "column"


def _lookup_table() -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for target, aliases in ALIASES.items():
        for rank, alias in enumerate(aliases):
            table.setdefault(header_key(alias), (target, rank))
    return table


LOOKUP = _lookup_table()
PAIR = re.compile(r"(email|phone)(\d+)(value|label|type)")

@dataclass
class ColumnMap:
    """How each column of a file is used. Built once per file by `map_headers`."""

    headers: list[str]
    single: dict[str, int]  # field -> column
    phones: list[tuple[int, int | None, int]]  # (column, label column or None, rank) in preference order
    emails: list[tuple[int, int | None, int]]
    custom: list[tuple[int, str]]  # (column, custom field name)
    names: dict[int, str]  # column -> custom field name, for phones and emails not picked
    described: list[tuple[str, str]]  # (header, what it maps to), in file order
    width: int  # cells a row must have: up to the last named column
    # field -> the columns that meant it too but lost (in preference order): they fill it when it is empty
    alternates: dict[str, list[int]] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        has_name = any(f in self.single for f in ("first_name", "last_name", "name"))
        return has_name and bool(self.phones or self.emails or "linkedin" in self.single)


def parse_map(specs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """'Header=field' options as {header: field}; refuses an unknown field or a spec without '='."""
    if not specs:
        return {}
    pairs = specs.items() if isinstance(specs, Mapping) else (_split_spec(s) for s in specs)
    out: dict[str, str] = {}
    for header, target in pairs:
        out[header.strip()] = _map_target(target, f"{header}={target}")
    return out


def _split_spec(spec: str) -> tuple[str, str]:
    header, equals, target = spec.rpartition("=")
    if not equals or not header.strip():
        raise CadenceError(f"--map {spec!r}: write it as 'Header=field', e.g. --map 'Direct Dial=phone'")
    return header, target


def _map_target(target: str, spec: str) -> str:
    text = target.strip()
    lowered = text.lower()
    for prefix in ("fields.", "field.", "custom:", "custom."):
        if lowered.startswith(prefix) and text[len(prefix):].strip():
            return "fields." + field_name(text[len(prefix):])
    key = header_key(text)
    if key in ("ignore", "skip", "none"):
        return "ignore"
    for name in MAP_FIELDS:
        if key == header_key(name):
            return name
    raise CadenceError(
        f"--map {spec!r}: unknown field {text!r}; use one of {', '.join(MAP_FIELDS)}, fields.<name> or ignore"
    )


def map_headers(headers: list[str], overrides: Mapping[str, str] | None = None, where: str = "") -> ColumnMap:
    """How each column is used: our fields by the alias table, --map overrides, the rest custom fields.

    Refuses a header that names the same column twice and a --map header the file does not have.
    """
    headers = [h.strip().lstrip("\ufeff").strip() for h in headers]
    _check_duplicates(headers, where)
    forced = _resolve_overrides(headers, overrides or {}, where)
    keys = [header_key(h) for h in headers]
    own_export = "cadenceversion" in keys and "dueon" in keys
    # Every claim: (target, preference, column). Lower preference wins.
    claims: list[tuple[str, int, int]] = []
    labels: dict[tuple[str, str], int] = {}
    pairs: list[tuple[str, str, int]] = []
    ignored: set[int] = set()
    custom_named: dict[int, str] = {}
    for index, (header, key) in enumerate(zip(headers, keys)):
        if index in forced:
            target = forced[index]
            if target == "ignore":
                ignored.add(index)
            elif target.startswith("fields."):
                custom_named[index] = target[7:]
            else:
                claims.append((target if target not in ("phone", "email") else target + ":mapped", -1, index))
            continue
        if not key:
            continue
        if own_export and header in OWN_EXPORT_STATE:
            ignored.add(index)
            continue
        if own_export and header == "status":
            claims.append(("do_not_contact", -1, index))  # the value "do-not-contact" is kept; others ignored
            continue
        if own_export and header.startswith("field_"):
            custom_named[index] = field_name(header[6:])
            continue
        pair = PAIR.fullmatch(key)
        if pair:
            what, number, part = pair.groups()
            if part == "value":
                pairs.append((what, number, index))
            else:
                labels[(what, number)] = index
            continue
        found = LOOKUP.get(key)
        if found is None:
            for prefix in PREFIXES:
                if key.startswith(prefix) and key != prefix:
                    found = LOOKUP.get(key[len(prefix):])
                    if found is not None:
                        break
        if found is not None:
            target, rank = found
            if target == "ignore":
                ignored.add(index)
            else:
                claims.append((target, rank, index))

    single: dict[str, int] = {}
    alternates: dict[str, list[int]] = {}
    phones: list[tuple[int, int | None, int]] = []
    emails: list[tuple[int, int | None, int]] = []
    for target, preference, index in sorted(claims, key=lambda c: (c[1], c[2])):
        if ":" in target:
            what, kind = target.split(":")
            rank = -1 if kind == "mapped" else (PHONE_KINDS if what == "phone" else EMAIL_KINDS).index(kind)
            (phones if what == "phone" else emails).append((index, None, rank))
        elif target not in single:
            single[target] = index
        else:
            alternates.setdefault(target, []).append(index)
    for what, number, index in pairs:
        (phones if what == "phone" else emails).append((index, labels.get((what, number)), 0))
    phones.sort(key=lambda c: (c[2], c[0]))
    emails.sort(key=lambda c: (c[2], c[0]))

    # Custom field names, unique within the file ("industry", "industry_2").
    taken: set[str] = set()

    def unique(name: str) -> str:
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}_{n}", n + 1
        taken.add(candidate)
        return candidate

    contacts = {c[0] for c in phones + emails}
    label_columns = {c[1] for c in phones + emails if c[1] is not None}
    winners = set(single.values()) - {single.get("linkedin")}
    names: dict[int, str] = {}
    custom: list[tuple[int, str]] = []
    for index, header in enumerate(headers):
        if index in custom_named:
            custom.append((index, unique(custom_named[index])))
        elif index in contacts:
            base = field_name(header)
            names[index] = unique(base[: -len("_value")] if PAIR.fullmatch(keys[index]) else base)
        elif index in ignored or index in label_columns or index in winners:
            continue
        else:  # unknown, or a look-alike that lost to a better column
            name = field_name(header) if header else f"column_{index + 1}"
            lost = LOOKUP.get(keys[index], ("", 0))[0]
            if lost in single and name in LOSER_NAMES:
                name = LOSER_NAMES[name]
            custom.append((index, unique(name)))
    width = max((i + 1 for i, h in enumerate(headers) if h), default=0)
    mapping = ColumnMap(headers, single, phones, emails, custom, names, [], width, alternates)
    mapping.described = _describe(mapping, ignored, labels)
    return mapping


def _check_duplicates(headers: list[str], where: str) -> None:
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        folded = header.casefold()
        if folded in seen:
            raise CadenceError(
                f"{where}: the header has {header!r} twice (columns {seen[folded] + 1} and {index + 1}): "
                "rename one so each column has its own name"
            )
        seen[folded] = index


def _resolve_overrides(headers: list[str], overrides: Mapping[str, str], where: str) -> dict[int, str]:
    forced: dict[int, str] = {}
    for wanted, target in overrides.items():
        index = next((i for i, h in enumerate(headers) if h == wanted), None)
        if index is None:
            key = header_key(wanted)
            index = next((i for i, h in enumerate(headers) if key and header_key(h) == key), None)
        if index is None:
            found = ", ".join(h for h in headers if h)
            raise CadenceError(f"{where}: --map names a column {wanted!r} the file does not have (found: {found})")
        forced[index] = target
    return forced


def _describe(mapping: ColumnMap, ignored: set[int], labels: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    what: dict[int, str] = {}
    for name, index in mapping.single.items():
        what[index] = name if name != "name" else "name (split into first and last)"
    for group, kinds, label in (("phone", PHONE_KINDS, "phone"), ("email", EMAIL_KINDS, "email")):
        candidates = mapping.phones if group == "phone" else mapping.emails
        for index, label_index, rank in candidates:
            if len(candidates) == 1:
                what[index] = label
            elif label_index is not None:
                what[index] = f"{label} (kind from {mapping.headers[label_index]!r})"
            else:
                what[index] = f"{label} ({'chosen by --map' if rank < 0 else kinds[rank]})"
    for index, name in mapping.custom:
        what[index] = "fields." + name
    for index in ignored:
        what[index] = "ignored"
    for index in labels.values():
        what.setdefault(index, "ignored (label of the column after it)")
    return [(mapping.headers[i], what[i]) for i in sorted(what) if mapping.headers[i]]


def check_usable(mapping: ColumnMap, source: Source, line: int) -> None:
    """Refuses a header without a name column and an email or phone column, listing what it found."""
    if mapping.usable:
        return
    found = [h if len(h) <= 60 else h[:57] + "..." for h in mapping.headers if h]  # a 10 MB "header" stays one short line
    shown = ", ".join(found[:25]) + (f" and {len(found) - 25} more" if len(found) > 25 else "")
    raise CadenceError(
        f"{source.path}:{line}: no usable header: need a name column and an email or phone column "
        f"(found: {shown or 'none'}); say which is which with --map, e.g. --map '{_suggestion(mapping)}'"
    )


# Words in a header that make it a plausible column for a missing field, in the order tried.
HINT_WORDS = {
    "name": ("name", "person", "contact", "who", "lead"),
    "email": ("mail", "courriel", "correo"),
    "phone": ("phone", "tel", "mobile", "cell", "dial", "number"),
}


def _suggestion(mapping: ColumnMap) -> str:
    """A --map for the missing field, naming the column most like it ('Header=field')."""
    has_name = any(f in mapping.single for f in ("first_name", "last_name", "name"))
    used = set(mapping.single.values()) | {c[0] for c in mapping.phones + mapping.emails}
    free = [h for i, h in enumerate(mapping.headers) if h and i not in used]
    for target in (("email", "phone") if has_name else ("name",)):
        for word in HINT_WORDS[target]:
            header = next((h for h in free if word in h.casefold()), None)
            if header is not None:
                return f"{header if len(header) <= 60 else header[:57] + '...'}={target}"
    return f"{free[0][:60] if free else 'Header'}={'email' if has_name else 'name'}"


def open_mapped(
    path: Path | str, forced: Mapping[str, str], encoding: str | None, delimiter: str | None
) -> tuple[Source, Iterator[tuple[int, list[str]]], int, ColumnMap]:
    """The file opened, its header read and mapped: (source, the rows after the header, header line, mapping).

    Refuses a file that is not CSV text, has no header, or whose header is not usable.
    """
    source = open_source(path, encoding, delimiter)
    records = source.records()
    try:
        line, headers = read_header(source, records)
        headers = [unneutralise(h) for h in headers]
        mapping = map_headers(headers, forced, f"{source.path}:{line}")
        check_usable(mapping, source, line)
    except BaseException:
        records.close()
        raise
    return source, records, line, mapping
