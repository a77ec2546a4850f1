"""One row to prospect values: names, phones, emails, time zones, tags; a row that cannot be used is a Reject."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from cadence.domain.contacts import (
    Email,
    Phone,
    clean_text,
    is_courtesy_title,
    normalise_email,
    normalise_phone,
    split_name,
    tidy_name,
)
from cadence.domain.cells import unneutralise
from cadence.domain.fields import tidy_tags, timezone_from
from cadence.importer.mapping import EMAIL_KINDS, LABEL_KINDS, PHONE_KINDS, ColumnMap
from cadence.importer.reading import MalformedRow
from cadence.importer.report import Flag

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "t", "do-not-contact", "dnc"})
MAX_CELL = 64 * 1024
CLEANED = 8192  # distinct company and title cells remembered cleaned


def check_region(code: str) -> str:
    """A phone region such as US or GB; refuses an unknown one."""
    from cadence.domain.profile import check_setting

    return check_setting("region", code)


# ---------------------------------------------------------------- rows to leads


@dataclass
class Lead:
    line: int
    values: dict[str, Any]
    email_key: str
    phone_key: str
    name_key: str = ""


class Reject(Exception):
    """A row that cannot be imported; the message is the reason."""


class RowReader:
    """Turns the cells of one row into prospect values, per the file's mapping."""

    def __init__(self, mapping: ColumnMap, region: str, match_name: bool = False):
        self.mapping = mapping
        self.region = region
        self.match_name = match_name
        self.count = len(mapping.headers)
        get = mapping.single.get
        self.first, self.last, self.name = get("first_name"), get("last_name"), get("name")
        self.company, self.title, self.zone = get("company"), get("title"), get("timezone")
        self.owner, self.source, self.tags, self.dnc = get("owner"), get("source"), get("tags"), get("do_not_contact")
        self.linkedin = get("linkedin")
        self.other_companies = mapping.alternates.get("company", [])
        self.custom_names = dict(mapping.custom)
        # Names are compared when asked (--match-name) or when a row may have no phone and no email.
        self.names_matter = match_name or self.linkedin is not None
        self.labelled = any(c[1] is not None for c in mapping.phones + mapping.emails)
        # Without label columns the order of preference is the same on every row.
        self.phone_order = [index for index, _label, _rank in mapping.phones]
        self.email_order = [index for index, _label, _rank in mapping.emails]
        # The last phone and email _pick checked, normalised: the one it chooses is nearly always that one.
        self._phone: tuple[str, Phone] = ("", normalise_phone(""))
        self._email: tuple[str, Email] = ("", normalise_email(""))
        self._cleaned: dict[str, str] = {}  # companies and titles repeat through a file: each cleaned once

    def lead(self, line: int, cells: list[str], flags: list[Flag]) -> Lead:
        """The row as a Lead; raises Reject with the reason for a row that cannot be imported."""
        if type(cells) is MalformedRow:
            raise Reject(cells.reason)
        if "'" in "".join(cells):  # one test a row, cheaper than one a cell: most rows have no apostrophe at all
            cells = [unneutralise(c) if c[:1] == "'" else c for c in cells]  # what `export` and --rejects neutralised
        m = self.mapping
        n = len(cells)
        if n < m.width or (n > self.count and any(c.strip() for c in cells[self.count :])):
            hint = " (a quote left open swallows the lines after it)" if any("\n" in c for c in cells) else ""
            raise Reject(f"{n} cells but the header has {m.width if n < m.width else self.count}{hint}")
        if n and max(map(len, cells)) > MAX_CELL:
            column = next(i for i, c in enumerate(cells) if len(c) > MAX_CELL)
            header = m.headers[column] if column < self.count else f"column {column + 1}"
            raise Reject(f"the cell in column {header!r} is over 64 KB")
        if n < self.count:
            cells = cells + [""] * (self.count - n)
        custom: dict[str, str] = {}
        first = tidy_name(cells[self.first]) if self.first is not None else ""
        last = tidy_name(cells[self.last]) if self.last is not None else ""
        if not (first and last) and self.name is not None:  # a part missing: completed from the full name
            whole_first, whole_last = split_name(cells[self.name])
            if not (first or last):
                first, last = whole_first, whole_last
            elif not first and whole_last.casefold() == last.casefold():
                first = whole_first
            elif not last and whole_first.casefold() == first.casefold():
                last = whole_last
        if not (first or last):
            raise Reject("no name")
        phone_raw = self._pick(m.phones, self.phone_order, PHONE_KINDS, cells, custom, self._valid_phone)
        email_raw = self._pick(m.emails, self.email_order, EMAIL_KINDS, cells, custom, self._valid_email)
        linkedin = cells[self.linkedin].strip() if self.linkedin is not None else ""
        if not (phone_raw or email_raw or linkedin):
            raise Reject("neither phone nor email")
        email = self._email[1] if self._email[0] == email_raw else normalise_email(email_raw)
        if email_raw and not email.valid:
            if not phone_raw:
                raise Reject(f"email {email_raw!r} is not a valid address and there is no phone")
            custom["invalid_email"] = email_raw
            flags.append(Flag(line, f"email {email_raw!r} is not a valid address: kept as fields.invalid_email"))
            email = normalise_email("")
        phone = self._phone[1] if self._phone[0] == phone_raw else normalise_phone(phone_raw, self.region)
        if phone_raw and not phone.valid:
            custom["invalid_phone"] = phone_raw
            why = phone.problem or f"phone {phone_raw!r} is not a valid number (region {self.region})"
            flags.append(Flag(line, f"{why}: kept as written"))
        written = cells[self.zone].strip() if self.zone is not None else ""
        zone = timezone_from(written) if written else ""
        if written and not zone:
            custom["timezone_as_written"] = written
            flags.append(Flag(line, f"time zone {written!r} is not one cadence knows: kept as fields.timezone_as_written"))
        if not zone:
            zone = phone.zone
        title = self._clean(cells[self.title]) if self.title is not None else ""
        if title and is_courtesy_title(title):
            custom["courtesy_title"] = title
            title = ""
        for index, name in m.custom:
            value = cells[index].strip()
            if value:
                custom[name] = value
        company = self._clean(cells[self.company]) if self.company is not None else ""
        if not company:  # the export's other company columns (Apollo, HubSpot, Pipedrive)
            for index in self.other_companies:
                company = self._clean(cells[index])
                if company:
                    custom.pop(self.custom_names.get(index, ""), None)
                    break
        values: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "title": title,
            "company": company,
            "phone": phone.text,
            "email": email.text,
            "phone_key": phone.key,
            "email_key": email.key,
            "timezone": zone,
            "source": cells[self.source].strip() if self.source is not None else "",
            "tags": tidy_tags(cells[self.tags]) if self.tags is not None else "",
            "fields": custom,
        }
        if self.owner is not None and cells[self.owner].strip():
            values["owner"] = cells[self.owner].strip()
        if self.dnc is not None and cells[self.dnc].strip().lower() in TRUE_WORDS:
            values["status"] = "do-not-contact"
        same_name = name_key(first, last, company) if self.names_matter and company else ""
        return Lead(line, values, email.key, phone.key, same_name)

    def _pick(
        self, candidates: list[tuple[int, int | None, int]], order: list[int], kinds: tuple[str, ...], cells: list[str],
        custom: dict[str, str], valid: Callable[[str], bool],
    ) -> str:
        """The first valid value in order of preference, else the first non-empty; the others go to custom fields."""
        if not candidates:
            return ""
        if self.labelled:
            ranked = []
            for index, label, rank in candidates:
                if label is not None:
                    kind = LABEL_KINDS.get(cells[label].replace("*", "").strip().lower(), "other")
                    rank = kinds.index(kind) if kind in kinds else len(kinds) - 1
                ranked.append((rank, index))
            order = [index for _rank, index in sorted(ranked)]
        filled: list[tuple[int, str, list[str]]] = []  # (column, cell, its values) in order of preference
        for index in order:
            # A leading apostrophe is how some exports (Apollo) stop spreadsheets reading "+1..." as a formula.
            value = cells[index].strip().lstrip("'")
            if value:
                parts = [p.strip() for p in value.split(":::") if p.strip()] if ":::" in value else [value]  # Google
                if parts:
                    filled.append((index, value, parts))
        if not filled:
            return ""
        if len(filled) == 1 and len(filled[0][2]) == 1:  # one value (most rows): chosen valid or not, nothing left over
            return filled[0][1]
        chosen_at = next(((i, p) for i, (_c, _v, parts) in enumerate(filled) for p in parts if valid(p)), (0, filled[0][2][0]))
        at, chosen = chosen_at
        for i, (index, value, parts) in enumerate(filled):
            if i == at:
                rest = [p for p in parts if p != chosen]
                if rest:
                    custom[self.mapping.names[index]] = " ::: ".join(rest)
            elif value != chosen:
                custom[self.mapping.names[index]] = value
        return chosen

    def _clean(self, text: str) -> str:
        """clean_text, remembered for the last few thousand distinct cells (so memory stays bounded)."""
        done = self._cleaned.get(text)
        if done is None:
            if len(self._cleaned) >= CLEANED:
                self._cleaned.clear()
            done = self._cleaned[text] = clean_text(text)
        return done

    def _valid_phone(self, text: str) -> bool:
        self._phone = (text, normalise_phone(text, self.region))
        return self._phone[1].valid

    def _valid_email(self, text: str) -> bool:
        self._email = (text, normalise_email(text))
        return self._email[1].valid


def name_key(first: str, last: str, company: str) -> str:
    """What --match-name compares: the full name and the company, case and spacing folded."""
    return " ".join(f"{first} {last} | {company}".split()).casefold()


