"""Validate a review-schedule CSV (one row per invitation) as a stream, row by row.

The contract is in docs (DESIGN.md, "Review schedule CSV"): a UTF-8 header row with
exactly the columns ``COLUMNS`` in any order, then one invitation per row. Every
problem is reported with its line number, its column and a reason a member of staff
can act on; the importer stores nothing from a file with any error.

The file is read in chunks and never held whole: only the parsed rows (small slotted
dataclasses, sharing the strings of one review) and what the cross-row checks need
(one entry per review and per invitation) stay in memory.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO, Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from surveys.schema import ROLES

COLUMNS: tuple[str, ...] = (
    "review_ref", "child_ref", "child_age", "review_type", "review_date",
    "iro_email", "role", "channel", "contact", "language",
)
REVIEW_TYPES: tuple[str, ...] = ("CLA", "PP")
CHANNELS: tuple[str, ...] = ("sms", "telegram", "web", "email", "paper")
DEFAULT_LANGUAGE = "en"
MAX_AGE = 25  # care leavers are supported up to 25
CARE_LEAVER_MIN_AGE = 16
MAX_REF_LENGTH = 64
MAX_PAPER_REF_LENGTH = 200
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ERRORS = 1000

# ISO 639-1 two-letter language codes.
ISO_639_1: frozenset[str] = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu
""".split())

ReviewType = Literal["CLA", "PP"]
Channel = Literal["sms", "telegram", "web", "email", "paper"]


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One valid invitation row, normalised (contact in E.164 or lower-case email)."""

    line: int
    review_ref: str
    child_ref: str
    child_age: int
    review_type: ReviewType
    review_date: date
    iro_email: str
    role: str
    channel: Channel
    contact: str  # E.164 phone, lower-case email, free postal reference (paper) or ""
    language: str


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the line (None for the file as a whole), the column if one, the reason."""

    line: int | None
    column: str | None
    reason: str


@dataclass(frozen=True)
class ScheduleResult:
    """The valid rows and every problem found; import only when ``errors`` is empty."""

    rows: list[ScheduleRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


class _TooLarge(Exception):
    pass


class _BadEncoding(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.reason)
        self.error = error


class _TooManyErrors(Exception):
    pass


_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 64 * 1024
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL = re.compile(rf"({_LOCAL})@((?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9]))")
# A UK mobile in a common spelling: the fast path (phonenumbers is ~70 us per number).
_UK_PUNCTUATION = re.compile(r"[\s().\-]")
_UK_NATIONAL = re.compile(r"(?:\+44|0044|44)?0?(7\d{9})")
# The type of a 10-digit UK "7..." number is decided by its first 7 digits in the GB
# metadata (mobile, pager and personal-number ranges, the 07700 900 drama range); the
# rest is any digits. Remembering the type per 7-digit range makes a national file of
# mobiles about ten times faster to check than asking phonenumbers for each number.
_UK_RANGE_DIGITS = 7
_UK_RANGE_TYPES: dict[str, int] = {}
# Characters no value from the case system may hold: C0 and C1 controls (NUL, tab, a
# line break inside a quoted value ...), DEL, the Unicode line and paragraph separators
# and the bidirectional controls (they make text read other than it is stored). A
# review_ref with a line break made every alert email about that review fail (an email
# subject cannot hold one), so the row is refused here, with its line and column.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PHONE_TYPES_OK = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
_SMS_TYPES_OK = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _human_size(n: int) -> str:
    mib = 1024 * 1024
    if n >= mib and n % mib == 0:
        return f"{n // mib} MB"
    return f"{n:,} bytes"


def _chunks(source: Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    read = getattr(source, "read", None)
    if callable(read):
        while chunk := read(_CHUNK):
            if isinstance(chunk, str):
                raise TypeError("validate_schedule needs bytes: open the file in binary mode ('rb')")
            yield chunk
        return
    for chunk in source:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise TypeError(f"validate_schedule needs bytes, not {type(chunk).__name__}")
        yield bytes(chunk)


class _LineReader:
    """Splits byte chunks into decoded lines, counting bytes, lines and the file offset."""

    def __init__(self, source: Iterable[bytes] | BinaryIO, max_bytes: int) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self.total_bytes = 0
        self.lines_read = 0
        self.saw_content = False

    def _raw_lines(self) -> Iterator[bytes]:
        pending: list[bytes] = []  # parts of a line that spans chunks (no quadratic joins)
        for chunk in _chunks(self._source):
            self.total_bytes += len(chunk)
            if self.total_bytes > self._max_bytes:
                raise _TooLarge
            if not chunk:
                continue
            start = 0
            while (end := chunk.find(b"\n", start)) != -1:
                piece = chunk[start:end + 1]
                if pending:
                    pending.append(piece)
                    piece = b"".join(pending)
                    pending.clear()
                yield piece
                start = end + 1
            if start < len(chunk):
                pending.append(chunk[start:])
        if pending:
            yield b"".join(pending)

    def __iter__(self) -> Iterator[str]:
        offset = 0
        for raw in self._raw_lines():
            self.lines_read += 1
            line_offset = offset
            offset += len(raw)
            if self.lines_read == 1:
                if raw.startswith(_UTF16_BOMS):
                    raise _BadEncoding(RowError(1, None, "the file is UTF-16 text; save it as 'CSV UTF-8' and upload it again"))
                if raw.startswith(_BOM):
                    raw = raw[len(_BOM):]
                    line_offset += len(_BOM)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start]
                raise _BadEncoding(RowError(
                    self.lines_read, None,
                    f"not valid UTF-8: byte 0x{bad:02x} at byte offset {line_offset + exc.start} "
                    f"of the file (byte {exc.start + 1} of line {self.lines_read}); "
                    "save the file as 'CSV UTF-8' and upload it again",
                )) from None
            if not self.saw_content and text.strip():
                self.saw_content = True
            yield text


def control_character(value: str) -> str | None:
    """What the first control character in ``value`` is, in plain words, or None if it has none."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    char = found.group()
    if char in _LINE_BREAKS:
        return "a line break"
    if char == "\t":
        return "a tab"
    if char == "\x00":
        return "a NUL character"
    if char in _BIDI:
        return f"a bidirectional text control, U+{ord(char):04X}"
    return f"U+{ord(char):04X}"


def _csv_reason(exc: csv.Error) -> str:
    message = str(exc)
    if "field larger than field limit" in message:
        return f"a value is longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in message:
        return "a quoted value is never closed (missing '\"')"
    if "expected after" in message:
        return "badly quoted value (a '\"' inside a value must be written twice: \"\")"
    if "new-line character" in message:
        return "a line break inside an unquoted value"
    return f"unreadable CSV ({message})"


class _Review:
    """The review-level values first seen for a review_ref, with the line of each."""

    __slots__ = ("ref", "values", "invitations")

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.values: dict[str, tuple[object, int]] = {}
        self.invitations: dict[tuple[str, str], int] = {}  # (role, contact) -> line


_REVIEW_COLUMNS = ("child_ref", "child_age", "review_type", "review_date", "iro_email")


class _Validator:
    def __init__(self, max_errors: int) -> None:
        self.rows: list[ScheduleRow] = []
        self.errors: list[RowError] = []
        self.max_errors = max_errors
        self.index: dict[str, int] = {}
        self.reviews: dict[str, _Review] = {}
        self.dates: dict[str, date | None] = {}
        self.emails: dict[str, str | None] = {}

    def error(self, line: int | None, column: str | None, reason: str) -> None:
        if len(self.errors) >= self.max_errors:
            raise _TooManyErrors
        self.errors.append(RowError(line, column, reason))

    # -- header

    def header(self, record: list[str], line: int) -> bool:
        names = [name.strip() for name in record]
        if len(names) == 1:
            for sep in (";", "\t", "|"):
                if sep in names[0]:
                    shown = "tab" if sep == "\t" else repr(sep)
                    self.error(line, None, f"the columns are separated by {shown}, not commas; "
                                           "save the file as 'CSV UTF-8 (comma delimited)'")
                    return False
        missing = [c for c in COLUMNS if c not in names]
        unexpected = [n for n in names if n not in COLUMNS]
        repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1}, key=COLUMNS.index)
        if missing:
            self.error(line, None, "wrong header: missing column" + ("s" if len(missing) > 1 else "")
                       + ": " + ", ".join(missing))
        if unexpected:
            shown = ", ".join(repr(n) if n else "(a column with no name)" for n in unexpected)
            self.error(line, None, "wrong header: unexpected column" + ("s" if len(unexpected) > 1 else "")
                       + ": " + shown + f" (expected exactly: {', '.join(COLUMNS)})")
        if repeated:
            self.error(line, None, "wrong header: column" + ("s" if len(repeated) > 1 else "")
                       + " given more than once: " + ", ".join(repeated))
        if missing or unexpected or repeated:
            return False
        self.index = {name: position for position, name in enumerate(names)}
        return True

    # -- fields

    def _date(self, raw: str) -> date | None:
        try:
            return self.dates[raw]
        except KeyError:
            pass
        value: date | None = None
        if _DATE.fullmatch(raw):
            try:
                value = date.fromisoformat(raw)
            except ValueError:
                value = None
        if len(self.dates) < 10_000:  # review dates repeat across a review's rows
            self.dates[raw] = value
        return value

    def _email(self, raw: str) -> str | None:
        try:
            return self.emails[raw]
        except KeyError:
            pass
        value = valid_email(raw)
        if len(self.emails) < 10_000:  # IRO addresses repeat on every row
            self.emails[raw] = value
        return value

    def _controls(self, raw: dict[str, str], line: int) -> bool:
        """Report each value that holds a control character; whether any did (the row is refused).

        Only what is stored counts: a line break the strip takes off the end is harmless.
        """
        bad = False
        for column in COLUMNS:
            what = control_character(raw[column])
            if what is not None:
                self.error(line, column, f"{column} holds a control character ({what})")
                bad = True
        return bad

    def row(self, record: list[str], line: int) -> None:
        if len(record) != len(self.index):
            self.error(line, None, f"this line has {len(record)} values but the header has {len(self.index)} columns")
            return
        get = self.index
        raw = {column: record[get[column]].strip() for column in COLUMNS}
        if _CONTROL.search("".join(record)) and self._controls(raw, line):
            return
        errors_before = len(self.errors)
        values: dict[str, object] = {}

        review_ref = raw["review_ref"]
        if not review_ref:
            self.error(line, "review_ref", "review_ref is empty")
        elif len(review_ref) > MAX_REF_LENGTH:
            self.error(line, "review_ref", f"review_ref is longer than {MAX_REF_LENGTH} characters")
        else:
            values["review_ref"] = review_ref

        child_ref = raw["child_ref"]
        if not child_ref:
            self.error(line, "child_ref", "child_ref is empty")
        elif len(child_ref) > MAX_REF_LENGTH:
            self.error(line, "child_ref", f"child_ref is longer than {MAX_REF_LENGTH} characters")
        else:
            values["child_ref"] = child_ref

        age_raw = raw["child_age"]
        if not age_raw:
            self.error(line, "child_age", f"child_age is empty (expected a whole number from 0 to {MAX_AGE})")
        elif not (age_raw.isascii() and age_raw.isdigit()):
            self.error(line, "child_age", f"{age_raw!r} is not a whole number (expected 0 to {MAX_AGE})")
        elif int(age_raw) > MAX_AGE:
            self.error(line, "child_age", f"age {int(age_raw)} is out of range (expected 0 to {MAX_AGE})")
        else:
            values["child_age"] = int(age_raw)

        review_type = raw["review_type"].upper()
        if not review_type:
            self.error(line, "review_type", "review_type is empty (expected CLA or PP)")
        elif review_type not in REVIEW_TYPES:
            self.error(line, "review_type", f"unknown review_type {raw['review_type']!r} (expected CLA or PP)")
        else:
            values["review_type"] = review_type

        date_raw = raw["review_date"]
        if not date_raw:
            self.error(line, "review_date", "review_date is empty (expected YYYY-MM-DD)")
        elif (review_date := self._date(date_raw)) is None:
            self.error(line, "review_date", f"{date_raw!r} is not a date (expected YYYY-MM-DD)")
        else:
            values["review_date"] = review_date

        email_raw = raw["iro_email"]
        if not email_raw:
            self.error(line, "iro_email", "iro_email is empty")
        elif (iro_email := self._email(email_raw)) is None:
            self.error(line, "iro_email", f"invalid email address {email_raw!r}")
        else:
            values["iro_email"] = iro_email

        role = _ROLE_OF.get(raw["role"].lower())
        if not raw["role"]:
            self.error(line, "role", f"role is empty (expected one of: {', '.join(ROLES)})")
        elif role is None:
            self.error(line, "role", f"unknown role {raw['role']!r} (expected one of: {', '.join(ROLES)})")
        else:
            values["role"] = role

        channel = _CHANNEL_OF.get(raw["channel"].lower())
        if not raw["channel"]:
            self.error(line, "channel", f"channel is empty (expected one of: {', '.join(CHANNELS)})")
        elif channel is None:
            self.error(line, "channel", f"unknown channel {raw['channel']!r} (expected one of: {', '.join(CHANNELS)})")
        else:
            values["channel"] = channel
            contact, reason = check_contact(channel, raw["contact"])
            if reason is not None:
                self.error(line, "contact", reason)
            else:
                values["contact"] = contact

        language = _LANGUAGE_OF.get(raw["language"].lower() or DEFAULT_LANGUAGE)
        if language is None:
            self.error(line, "language", f"unknown language {raw['language']!r} "
                                         "(expected a two-letter ISO 639-1 code such as en or cy)")
        else:
            values["language"] = language

        if role == "care_leaver":
            if "review_type" in values and values["review_type"] != "PP":
                self.error(line, "role", "role care_leaver needs review_type PP (care leavers have pathway plan reviews)")
            if "child_age" in values and values["child_age"] < CARE_LEAVER_MIN_AGE:  # type: ignore[operator]
                self.error(line, "child_age", f"age {values['child_age']} is too young for a care leaver "
                                               f"(care leavers are {CARE_LEAVER_MIN_AGE} or over)")

        review = None
        if "review_ref" in values:
            review = self.reviews.get(review_ref)
            if review is None:
                review = self.reviews[review_ref] = _Review(review_ref)
            for column in _REVIEW_COLUMNS:
                if column not in values:
                    continue
                seen = review.values.get(column)
                if seen is None:
                    review.values[column] = (values[column], line)
                elif seen[0] != values[column]:
                    self.error(line, column, f"review {review.ref!r} has {column} {_show(seen[0])} on line "
                                             f"{seen[1]} but {_show(values[column])} here")
                else:
                    values[column] = seen[0]  # share one object per review
            if "role" in values and "contact" in values:
                key = (role, values["contact"])
                first = review.invitations.get(key)  # type: ignore[arg-type]
                if first is not None:
                    self.error(line, None, f"duplicate of line {first} (same review_ref, role and contact)")
                else:
                    review.invitations[key] = line  # type: ignore[index]

        if len(self.errors) == errors_before and review is not None:
            self.rows.append(ScheduleRow(
                line=line,
                review_ref=review.ref,
                child_ref=values["child_ref"],  # type: ignore[arg-type]
                child_age=values["child_age"],  # type: ignore[arg-type]
                review_type=values["review_type"],  # type: ignore[arg-type]
                review_date=values["review_date"],  # type: ignore[arg-type]
                iro_email=values["iro_email"],  # type: ignore[arg-type]
                role=values["role"],  # type: ignore[arg-type]
                channel=values["channel"],  # type: ignore[arg-type]
                contact=values["contact"],  # type: ignore[arg-type]
                language=values["language"],  # type: ignore[arg-type]
            ))


# value -> the constant string itself, so that every row shares one object
_ROLE_OF = {role: role for role in ROLES}
_CHANNEL_OF = {channel: channel for channel in CHANNELS}
_LANGUAGE_OF = {code: code for code in ISO_639_1}


def _show(value: object) -> str:
    return repr(value.isoformat()) if isinstance(value, date) else repr(value)


def valid_email(raw: str) -> str | None:
    """The address lower-cased if it is a plausible email address, else None.

    Pragmatic, not RFC 5322: dotted atoms before the @, a domain of at least two
    labels ending in a letter-led top-level domain; no quoted or IP-literal forms.
    """
    address = raw.strip().lower()
    if len(address) > 254 or not address.isascii():
        return None
    match = _EMAIL.fullmatch(address)
    if match is None or len(match.group(1)) > 64:
        return None
    return address


def normalise_phone(raw: str, *, sms: bool = False) -> tuple[str | None, str | None]:
    """(E.164 number, None) for a valid phone number, or (None, reason) for staff.

    Default region GB, so national spellings ("07400 123456", "(07400) 123-456") and
    "447400123456" without the plus are understood. Only mobile and fixed-line numbers
    are accepted; with ``sms`` only mobiles.
    """
    text = raw.strip()
    compact = _UK_PUNCTUATION.sub("", text)
    match = _UK_NATIONAL.fullmatch(compact)
    try:
        if match is not None:
            number = phonenumbers.PhoneNumber(country_code=44, national_number=int(match.group(1)))
        else:
            number = phonenumbers.parse(text, "GB")
    except NumberParseException:
        return None, f"invalid phone number {raw!r}"
    # number_type is UNKNOWN exactly when is_valid_number is False (same metadata check,
    # done once: this is the slow part of validating a large file).
    if match is not None:
        prefix = match.group(1)[:_UK_RANGE_DIGITS]
        kind = _UK_RANGE_TYPES.get(prefix)
        if kind is None:
            kind = _UK_RANGE_TYPES[prefix] = phonenumbers.number_type(number)
    else:
        kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        return None, f"invalid phone number {raw!r}"
    if sms and kind not in _SMS_TYPES_OK:
        if kind == PhoneNumberType.FIXED_LINE:
            return None, f"{raw!r} is a landline number; sms needs a mobile number"
        return None, f"{raw!r} is not a mobile number; sms needs a mobile number"
    if kind not in _PHONE_TYPES_OK:
        return None, f"{raw!r} is not a mobile or landline number"
    if match is not None:
        return "+44" + match.group(1), None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), None


def check_contact(channel: str, raw: str) -> tuple[str, str | None]:
    """(normalised contact, None) if ``raw`` suits the channel, else ("", reason)."""
    raw = raw.strip()
    if channel == "paper":
        if len(raw) > MAX_PAPER_REF_LENGTH:
            return "", f"contact is longer than {MAX_PAPER_REF_LENGTH} characters"
        return raw, None
    if channel == "sms":
        if not raw:
            return "", "contact is empty (an sms invitation needs a mobile number)"
        number, reason = normalise_phone(raw, sms=True)
        return (number, None) if number else ("", reason)
    if channel == "email":
        if not raw:
            return "", "contact is empty (an email invitation needs an email address)"
        address = valid_email(raw)
        return (address, None) if address else ("", f"invalid email address {raw!r}")
    # telegram and web: optional phone number or email address
    if not raw:
        return "", None
    if "@" in raw:
        address = valid_email(raw)
        return (address, None) if address else ("", f"invalid email address {raw!r}")
    number, reason = normalise_phone(raw)
    return (number, None) if number else ("", reason)


def validate_schedule(
    lines: Iterable[bytes] | BinaryIO,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> ScheduleResult:
    """Validate a review-schedule CSV given as byte lines/chunks or a binary file.

    Returns every valid row and every error (line, column, reason). File-level errors:
    empty file (line None), wrong header (line 1), not UTF-8 (that line, byte offset in
    the reason; reading stops), larger than ``max_bytes`` (line None; reading stops and
    that is the only error). After ``max_errors`` errors reading stops with a final
    note. Fully blank lines (or lines of empty values) are ignored.
    """
    reader_lines = _LineReader(lines, max_bytes)
    validator = _Validator(max_errors)
    reader = csv.reader(reader_lines, strict=True)
    have_header = False
    try:
        while True:
            start = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                validator.error(start, None, _csv_reason(exc))
                if not have_header:
                    break
                continue
            if not any(value.strip() for value in record):
                continue
            if not have_header:
                if not validator.header(record, start):
                    break
                have_header = True
                continue
            validator.row(record, start)
    except _TooLarge:
        return ScheduleResult([], [RowError(None, None, f"the file is larger than the {_human_size(max_bytes)} limit")])
    except _BadEncoding as exc:
        try:
            validator.error(exc.error.line, exc.error.column, exc.error.reason)
        except _TooManyErrors:
            pass
    except _TooManyErrors:
        validator.errors.append(RowError(None, None, f"stopped after {max_errors} errors; correct these and upload the file again"))
        return ScheduleResult(validator.rows, validator.errors)
    if not reader_lines.saw_content and not validator.errors:
        return ScheduleResult([], [RowError(None, None, "the file is empty")])
    if have_header and not validator.rows and not validator.errors:
        validator.error(None, None, "the file has a header but no rows")
    return ScheduleResult(validator.rows, validator.errors)
