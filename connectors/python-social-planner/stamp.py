"""Instants as the Rust connector's `jiff::Timestamp`: nanoseconds since the
Unix epoch, parsed from RFC 3339 / ISO 8601 text and printed like jiff
(`2026-06-02T09:30:00.133Z`: UTC, the fraction only when it is not zero,
without trailing zeros).

The parser takes what jiff's default parser takes for a timestamp in
practice: a date (`2026-06-02`, `20260602`, or a signed six-digit year), `T`,
`t` or a space, a time (`09:30`, `09:30:00`, `093000`, a fraction of up to 9
digits after `.` or `,`; second 60 reads as 59), a required offset (`Z`, `z`,
`+02`, `+02:00`, `-0230`, `+02:00:30`), then bracketed annotations, which a
timestamp ignores. Anything else is refused with a ValueError.
"""

NS = 1_000_000_000
# jiff's range: -009999-01-02T01:59:59Z ..= 9999-12-30T22:00:00.999999999Z.
MIN_SECOND = -377705023201
MAX_SECOND = 253402207200
UNIX_EPOCH = 0
MINUS_SIGN = "\u2212"


def _days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _days_in_month(y, m):
    if m == 2:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return 29 if leap else 28
    return 30 if m in (4, 6, 9, 11) else 31


class _Text:
    def __init__(self, text):
        self.t = text
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else ""

    def digits(self, n, what):
        part = self.t[self.i:self.i + n]
        if len(part) != n or not all("0" <= c <= "9" for c in part):
            raise ValueError("failed to parse %s in %r" % (what, self.t))
        self.i += n
        return int(part)

    def eat(self, chars):
        if self.peek() and self.peek() in chars:
            self.i += 1
            return True
        return False


def _fraction(p):
    if not p.eat(".,"):
        return 0
    start = p.i
    while p.peek() and "0" <= p.peek() <= "9" and p.i - start < 9:
        p.i += 1
    digits = p.t[start:p.i]
    if not digits:
        raise ValueError("found decimal after seconds component, but did not find any digits after decimal")
    return int(digits.ljust(9, "0"))


def _offset(p):
    """Seconds east of UTC; None when no offset is written."""
    c = p.peek()
    if c in ("Z", "z"):
        p.i += 1
        return 0
    if c not in ("+", "-", MINUS_SIGN):
        return None
    p.i += 1
    sign = 1 if c == "+" else -1
    hours = p.digits(2, "offset hours")
    if hours > 25:
        raise ValueError("offset hours are not valid")
    minutes = seconds = 0
    extended = p.peek() == ":"
    if (extended and "0" <= p.peek(1) <= "9") or (not extended and "0" <= p.peek() <= "9"):
        if extended:
            p.i += 1
        minutes = p.digits(2, "offset minutes")
        if minutes > 59:
            raise ValueError("offset minutes are not valid")
        if (extended and p.peek() == ":" and "0" <= p.peek(1) <= "9") or (
            not extended and "0" <= p.peek() <= "9"
        ):
            if extended:
                p.i += 1
            seconds = p.digits(2, "offset seconds")
            if seconds > 59:
                raise ValueError("offset seconds are not valid")
    return sign * (hours * 3600 + minutes * 60 + seconds)


def _annotations(p):
    while p.peek() == "[":
        end = p.t.find("]", p.i)
        if end < 0:
            raise ValueError("expected a `]` to end an annotation")
        body = p.t[p.i + 1:end]
        if body.startswith("!"):
            body = body[1:]
        if not body:
            raise ValueError("found an empty annotation")
        p.i = end + 1


def parse(text):
    """Nanoseconds since the epoch, or ValueError."""
    p = _Text(text)
    c = p.peek()
    if c in ("+", "-", MINUS_SIGN):
        p.i += 1
        year = p.digits(6, "year")
        if c != "+":
            if year == 0:
                raise ValueError("year zero must be written without a sign or a positive sign")
            year = -year
    else:
        year = p.digits(4, "year")
    extended = p.eat("-")
    month = p.digits(2, "month")
    if extended and not p.eat("-"):
        raise ValueError("expected `-` after month in %r" % text)
    day = p.digits(2, "day")
    if not 1 <= month <= 12:
        raise ValueError("parameter 'month' with value %d is not in the required range of 1..=12" % month)
    if not 1 <= day <= _days_in_month(year, month):
        raise ValueError("parameter 'day' with value %d is not in the required range" % day)
    if not p.eat("Tt "):
        raise ValueError("failed to find time component in %r, which is required for parsing a timestamp" % text)
    hour = p.digits(2, "hour")
    minute = second = nano = 0
    ext = p.peek() == ":"
    if (ext and "0" <= p.peek(1) <= "9") or (not ext and "0" <= p.peek() <= "9"):
        if ext:
            p.i += 1
        minute = p.digits(2, "minute")
        if (ext and p.peek() == ":" and "0" <= p.peek(1) <= "9") or (not ext and "0" <= p.peek() <= "9"):
            if ext:
                p.i += 1
            second = p.digits(2, "second")
            nano = _fraction(p)
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError("time is not valid in %r" % text)
    second = min(second, 59)
    offset = _offset(p)
    if offset is None:
        raise ValueError("failed to find offset component in %r, which is required for parsing a timestamp" % text)
    _annotations(p)
    if p.i != len(text):
        raise ValueError("parsed value %r, but unparsed input %r remains" % (text[: p.i], text[p.i:]))
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    if not MIN_SECOND <= seconds <= MAX_SECOND:
        raise ValueError("timestamp is not in the supported range")
    return seconds * NS + nano


def stamp(value):
    """`window::stamp`: an API time, or the epoch when absent or unreadable."""
    if value is None:
        return UNIX_EPOCH
    try:
        return parse(value)
    except ValueError:
        return UNIX_EPOCH


def format(ns):
    """jiff's `Display` of a timestamp."""
    seconds, nano = divmod(ns, NS)
    days, rest = divmod(seconds, 86400)
    y, m, d = _civil_from_days(days)
    hh, rest = divmod(rest, 3600)
    mm, ss = divmod(rest, 60)
    if 0 <= y <= 9999:
        year = "%04d" % y
    else:
        year = "%s%06d" % ("-" if y < 0 else "+", abs(y))
    text = "%s-%02d-%02dT%02d:%02d:%02d" % (year, m, d, hh, mm, ss)
    if nano:
        text += "." + ("%09d" % nano).rstrip("0")
    return text + "Z"
