"""ARM template functions: dates (`dateTimeAdd`, `dateTimeFromEpoch`, `dateTimeToEpoch`, `utcNow`).

Azure evaluates these with .NET: a date-time is a UTC `DateTime` with 100 ns ticks, durations are
read as `xs:duration` (`XmlConvert.ToTimeSpan`, so P1Y is 365 days and P1M is 30 days, as the
documentation's remarks say), and output formats are .NET standard or custom date-time format
strings in the invariant culture (`utcNow('d')` gives `03/05/2019`). Here a date-time is an int
count of ticks since 0001-01-01T00:00:00Z, so that every .NET format specifier can be honoured.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ..evaluator import CallContext
from ..registry import FunctionTable, check_type

TABLE = FunctionTable()

TICKS_PER_SECOND = 10_000_000
TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
MAX_TICKS = 3_155_378_975_999_999_999  # DateTime.MaxValue: 9999-12-31T23:59:59.9999999
EPOCH_TICKS = 621_355_968_000_000_000  # 1970-01-01T00:00:00Z
_MIN_DATE = datetime(1, 1, 1)

# What `dateTimeAdd` returns without a format: Azure hands back a DateTime that Newtonsoft writes as
# ISO 8601 (`2024-01-01T00:00:00Z`, as the documented remarks show), with trailing zero fractions dropped.
DEFAULT_ADD_FORMAT = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'"
UTC_NOW_DEFAULT_FORMAT = "yyyyMMddTHHmmssZ"
EPOCH_FORMAT = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'"

# .NET standard date-time format strings, as the invariant culture expands them.
STANDARD_FORMATS: dict[str, str] = {
    "d": "MM/dd/yyyy",
    "D": "dddd, dd MMMM yyyy",
    "f": "dddd, dd MMMM yyyy HH:mm",
    "F": "dddd, dd MMMM yyyy HH:mm:ss",
    "g": "MM/dd/yyyy HH:mm",
    "G": "MM/dd/yyyy HH:mm:ss",
    "m": "MMMM dd",
    "M": "MMMM dd",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "HH:mm",
    "T": "HH:mm:ss",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, dd MMMM yyyy HH:mm:ss",
    "y": "yyyy MMMM",
    "Y": "yyyy MMMM",
}

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


class DateFormatError(Exception):
    """A format string or date-time text that .NET would reject; turned into an ArmError by the caller."""


# --- reading date-times ---------------------------------------------------------------------

_ZONE = r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?"
_ISO_EXTENDED = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,7}))?)?)?" + _ZONE
)
# `utcNow()` writes `yyyyMMddTHHmmssZ` and the documentation feeds it to `dateTimeAdd`.
_ISO_BASIC = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})T(?P<h>\d{2})(?P<mi>\d{2})(?:(?P<s>\d{2})(?:[.,](?P<f>\d{1,7}))?)?" + _ZONE
)
# The invariant culture's own short forms (`utcNow('d')`, `utcNow('G')`, `4/7/2023 2:53:14 PM`).
_INVARIANT = re.compile(
    r"(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?: (?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?: ?(?P<ampm>AM|PM|am|pm))?)?" + _ZONE
)


def parse_datetime(text: str) -> int:
    """Ticks (UTC) of an ISO 8601 date-time as Azure reads it; a value without a zone is taken as UTC."""
    stripped = text.strip()
    match = None
    for pattern in (_ISO_EXTENDED, _ISO_BASIC, _INVARIANT):
        match = pattern.fullmatch(stripped)
        if match:
            break
    if match is None:
        raise DateFormatError(f"'{text}' is not a valid ISO 8601 date-time")
    parts = match.groupdict()
    hour = int(parts["h"] or 0)
    ampm = parts.get("ampm")
    if ampm:
        if not 1 <= hour <= 12:
            raise DateFormatError(f"'{text}' is not a valid date-time: the hour is out of range")
        hour = hour % 12 + (12 if ampm.upper() == "PM" else 0)
    try:
        moment = datetime(int(parts["y"]), int(parts["mo"]), int(parts["d"]), hour, int(parts["mi"] or 0), int(parts["s"] or 0))
    except ValueError:
        raise DateFormatError(f"'{text}' is not a valid date-time: a field is out of range") from None
    fraction = (parts.get("f") or "").ljust(7, "0")
    ticks = _ticks_of(moment) + int(fraction)
    zone = parts["zone"]
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        zone_hours, zone_minutes = int(digits[:2]), int(digits[2:] or 0)
        if zone_hours > 14 or zone_minutes > 59:
            raise DateFormatError(f"'{text}' is not a valid date-time: the offset {zone} is out of range")
        offset = (zone_hours * 60 + zone_minutes) * 60 * TICKS_PER_SECOND
        # Azure adjusts to universal time: local time minus the offset.
        ticks = ticks - offset if zone[0] == "+" else ticks + offset
    if not 0 <= ticks <= MAX_TICKS:
        raise DateFormatError(f"'{text}' is outside the range of dates Azure supports")
    return ticks


def _ticks_of(moment: datetime) -> int:
    delta = moment - _MIN_DATE
    return (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


# --- reading durations ----------------------------------------------------------------------

_DURATION = re.compile(
    r"(?P<sign>-)?P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+)H)?(?:(?P<TM>\d+)M)?(?:(?P<S>\d+)(?:\.(?P<F>\d+))?S)?)?"
)
_WEEKS = re.compile(r"(?P<sign>-)?P(?P<W>\d+)W")
_INT32_MAX = 2**31 - 1
_TIMESPAN_MAX = 2**63 - 1


def parse_duration(text: str) -> int:
    """Ticks of an ISO 8601 duration read as `xs:duration`: P1Y is 365 days, P1M is 30 days."""
    stripped = text.strip()
    weeks = _WEEKS.fullmatch(stripped)
    if weeks:
        # ISO 8601's week form (`P2W`), which xs:duration lacks; taken as 7 days a week (undocumented for ARM).
        count = _component(int(weeks["W"]), text)
        ticks = count * 7 * TICKS_PER_DAY
        return -ticks if weeks["sign"] else ticks
    match = _DURATION.fullmatch(stripped)
    if match is None or stripped.endswith("T") or not any(match[g] for g in ("Y", "M", "D", "H", "TM", "S")):
        raise DateFormatError(f"'{text}' is not a valid ISO 8601 duration (such as 'P1DT2H' or '-P9D')")
    years, months, days, hours, minutes, seconds = (_component(int(match[g] or 0), text) for g in ("Y", "M", "D", "H", "TM", "S"))
    total_seconds = ((((years * 365 + months * 30 + days) * 24 + hours) * 60 + minutes) * 60) + seconds
    # xs:duration keeps nanoseconds: digits beyond the 9th are dropped, then ticks are 100 ns.
    fraction = int((match["F"] or "")[:9].ljust(9, "0")) // 100
    ticks = total_seconds * TICKS_PER_SECOND + fraction
    if ticks > _TIMESPAN_MAX:
        raise DateFormatError(f"the duration '{text}' is too long")
    return -ticks if match["sign"] else ticks


def _component(value: int, text: str) -> int:
    if value > _INT32_MAX:
        raise DateFormatError(f"the duration '{text}' has a component that is too large")
    return value


# --- writing date-times ---------------------------------------------------------------------


def format_datetime(ticks: int, fmt: str) -> str:
    """`DateTime.ToString(fmt, CultureInfo.InvariantCulture)` for a UTC date-time."""
    if fmt == "":
        fmt = "G"
    if len(fmt) == 1:
        if fmt not in STANDARD_FORMATS:
            raise DateFormatError(f"'{fmt}' is not a valid standard date-time format")
        fmt = STANDARD_FORMATS[fmt]
    moment = _MIN_DATE + timedelta(microseconds=ticks // 10)
    fraction = f"{ticks % TICKS_PER_SECOND:07d}"
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch in "'\"":
            i = _quoted(fmt, i, out)
            continue
        if ch == "\\":
            if i + 1 >= len(fmt):
                raise DateFormatError(f"the date-time format '{fmt}' ends with an escape character")
            out.append(fmt[i + 1])
            i += 2
            continue
        if ch == "%":
            # `%d` is the custom `d`; `%` must be followed by exactly one character that is not `%`.
            if i + 1 >= len(fmt) or fmt[i + 1] == "%":
                raise DateFormatError(f"the date-time format '{fmt}' has a misplaced '%'")
            i += 1
            continue
        run = 1
        while i + run < len(fmt) and fmt[i + run] == ch:
            run += 1
        out.append(_specifier(ch, run, moment, fraction, out, fmt))
        i += run
    return "".join(out)


def _quoted(fmt: str, start: int, out: list[str]) -> int:
    quote = fmt[start]
    i = start + 1
    while i < len(fmt):
        ch = fmt[i]
        if ch == quote:
            return i + 1
        if ch == "\\" and i + 1 < len(fmt):
            out.append(fmt[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise DateFormatError(f"the date-time format '{fmt}' has an unterminated quote")


def _specifier(ch: str, run: int, moment: datetime, fraction: str, out: list[str], fmt: str) -> str:
    if ch == "d":
        if run <= 2:
            return f"{moment.day:0{run}d}"
        return _DAY_NAMES[moment.weekday()][:3] if run == 3 else _DAY_NAMES[moment.weekday()]
    if ch == "M":
        if run <= 2:
            return f"{moment.month:0{run}d}"
        return _MONTH_NAMES[moment.month - 1][:3] if run == 3 else _MONTH_NAMES[moment.month - 1]
    if ch == "y":
        if run <= 2:
            return f"{moment.year % 100:0{run}d}"
        return f"{moment.year:0{run}d}"
    if ch in "hHms":
        value = {"H": moment.hour, "h": moment.hour % 12 or 12, "m": moment.minute, "s": moment.second}[ch]
        return f"{value:0{min(run, 2)}d}"
    if ch in "fF":
        if run > 7:
            raise DateFormatError(f"the date-time format '{fmt}' asks for more than 7 fraction digits")
        digits = fraction[:run]
        if ch == "F":
            digits = digits.rstrip("0")
            # .NET drops the separator before an `F` fraction that came out empty.
            if not digits and out and out[-1].endswith("."):
                out[-1] = out[-1][:-1]
        return digits
    if ch == "t":
        designator = "AM" if moment.hour < 12 else "PM"
        return designator[0] if run == 1 else designator
    if ch == "g":
        return "A.D."
    if ch == "K":
        return "Z" * run
    if ch == "z":
        # Azure's servers run on UTC, so the local offset .NET prints for `z` is zero.
        return {1: "+0", 2: "+00"}.get(run, "+00:00")
    return ch * run


# --- the functions --------------------------------------------------------------------------


def _format(ctx: CallContext, ticks: int, fmt: str, arg: int | None) -> str:
    try:
        return format_datetime(ticks, fmt)
    except DateFormatError as err:
        raise ctx.error(str(err), arg=arg) from None


@TABLE.add("dateTimeAdd", 2, 3)
def date_time_add(ctx: CallContext, base: Any, duration: Any, fmt: Any = None) -> Any:
    """Adds an ISO 8601 duration to an ISO 8601 date-time."""
    check_type(ctx, 0, base, str)
    check_type(ctx, 1, duration, str)
    if fmt is not None:
        check_type(ctx, 2, fmt, str)
    try:
        start = parse_datetime(base)
    except DateFormatError as err:
        raise ctx.error(str(err), arg=0) from None
    try:
        delta = parse_duration(duration)
    except DateFormatError as err:
        raise ctx.error(str(err), arg=1) from None
    result = start + delta
    if not 0 <= result <= MAX_TICKS:
        raise ctx.error(f"adding '{duration}' to '{base}' gives a date outside the range Azure supports")
    if fmt is None:
        return _format(ctx, result, DEFAULT_ADD_FORMAT, None)
    return _format(ctx, result, fmt, 2)


@TABLE.add("dateTimeFromEpoch", 1)
def date_time_from_epoch(ctx: CallContext, epoch: Any) -> Any:
    """The ISO 8601 date-time (`2023-05-02T15:16:13Z`) of a count of seconds since 1970-01-01."""
    check_type(ctx, 0, epoch, int)
    ticks = EPOCH_TICKS + epoch * TICKS_PER_SECOND
    if not 0 <= ticks <= MAX_TICKS:
        raise ctx.error(f"the epoch time {epoch} is outside the range of dates Azure supports", arg=0)
    return _format(ctx, ticks, EPOCH_FORMAT, None)


@TABLE.add("dateTimeToEpoch", 1)
def date_time_to_epoch(ctx: CallContext, value: Any) -> Any:
    """The seconds since 1970-01-01T00:00:00Z of an ISO 8601 date-time (fractions rounded down)."""
    check_type(ctx, 0, value, str)
    try:
        ticks = parse_datetime(value)
    except DateFormatError as err:
        raise ctx.error(str(err), arg=0) from None
    return (ticks - EPOCH_TICKS) // TICKS_PER_SECOND


@TABLE.add("utcNow", 0, 1)
def utc_now(ctx: CallContext, fmt: Any = None) -> Any:
    """Only Azure knows the time: Unknown, after checking that the format is one .NET accepts."""
    if fmt is not None:
        check_type(ctx, 0, fmt, str)
        # A bad format fails in Azure whatever the time is: check it against any date.
        _format(ctx, EPOCH_TICKS, fmt, 0)
    return ctx.unknown(nondeterministic=True)
