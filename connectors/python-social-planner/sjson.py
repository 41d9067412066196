"""JSON the way the Rust connector reads and writes it (serde_json 1.0).

The Rust connector decodes inputs, cursors and API answers with serde_json
into typed structs, and its error messages (`missing field `_id` at line 1
column 40`, `EOF while parsing a string at ...`) reach the user. To behave
the same, this module ports the parts of serde_json's reader that those
types use: the byte-level parser (whitespace, literals, numbers without
`float_roundtrip`, strings with escapes and UTF-8 checks, the recursion
limit), error positions (`error` at the index, `peek_error` one past it,
`fix_position` for errors raised by visitors), and the visitors serde
derives for structs, options, sequences, maps, strings, booleans, `u32`,
`serde_json::Number` and `serde_json::Value`.

Writing is serde_json's compact form: `Value` objects with their keys
sorted (serde_json's default `BTreeMap`), structs (`Struct`) in field order,
floats formatted like `zmij` (what serde_json 1.0.154 uses).
"""

import unicodedata

__all__ = [
    "JsonError", "Struct", "Field", "STRING", "BOOL", "U32", "NUMBER", "VALUE",
    "Option", "Vec", "StrMap", "Custom", "from_bytes", "from_str", "dumps",
    "format_f64", "rust_debug_str",
]


class JsonError(Exception):
    """A serde_json error: a message and a position (line 0: none yet)."""

    def __init__(self, message, line=0, column=0):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self):
        if self.line == 0:
            return self.message
        return "%s at line %d column %d" % (self.message, self.line, self.column)


EOF_LIST = "EOF while parsing a list"
EOF_OBJECT = "EOF while parsing an object"
EOF_STRING = "EOF while parsing a string"
EOF_VALUE = "EOF while parsing a value"
EXPECTED_COLON = "expected `:`"
EXPECTED_LIST_COMMA_OR_END = "expected `,` or `]`"
EXPECTED_OBJECT_COMMA_OR_END = "expected `,` or `}`"
EXPECTED_IDENT = "expected ident"
EXPECTED_VALUE = "expected value"
INVALID_ESCAPE = "invalid escape"
INVALID_NUMBER = "invalid number"
NUMBER_OUT_OF_RANGE = "number out of range"
INVALID_UNICODE = "invalid unicode code point"
CONTROL_CHARACTER = "control character (\\u0000-\\u001F) found while parsing a string"
KEY_MUST_BE_A_STRING = "key must be a string"
LONE_LEADING_SURROGATE = "lone leading surrogate in hex escape"
TRAILING_COMMA = "trailing comma"
TRAILING_CHARACTERS = "trailing characters"
UNEXPECTED_END_OF_HEX_ESCAPE = "unexpected end of hex escape"
RECURSION_LIMIT = "recursion limit exceeded"

U64_MAX = (1 << 64) - 1
I64_MIN = -(1 << 63)
I32_MAX = (1 << 31) - 1
U32_MAX = (1 << 32) - 1
POW10 = [float("1e%d" % i) for i in range(309)]
WHITESPACE = (0x20, 0x0A, 0x09, 0x0D)


# ---------------------------------------------------------------------------
# How serde names what it got ("invalid type: <unexpected>, expected <exp>").


def _unexpected_float(value):
    return "floating point `%s`" % format_f64(value)


def _unexpected_str(value):
    return "string %s" % rust_debug_str(value)


UNIT = "null"
SEQ = "sequence"
MAP = "map"


def _unexpected_bool(value):
    return "boolean `%s`" % ("true" if value else "false")


def _unexpected_int(value):
    return "integer `%d`" % value


def invalid_type(unexpected, expected):
    return JsonError("invalid type: %s, expected %s" % (unexpected, expected))


def invalid_value(unexpected, expected):
    return JsonError("invalid value: %s, expected %s" % (unexpected, expected))


def _number_unexpected(number):
    kind, value = number
    if kind == "f":
        return _unexpected_float(value)
    return _unexpected_int(value)


# ---------------------------------------------------------------------------
# The reader.


class Reader:
    """serde_json's `Deserializer<SliceRead>`: bytes, an index, a depth."""

    def __init__(self, data):
        self.s = data
        self.n = len(data)
        self.i = 0
        self.depth = 128

    # -- positions ---------------------------------------------------------

    def _position(self, i):
        s = self.s
        start = s.rfind(b"\n", 0, i) + 1
        line = 1 + s.count(b"\n", 0, start)
        return line, i - start

    def error(self, message):
        line, column = self._position(self.i)
        return JsonError(message, line, column)

    def peek_error(self, message):
        line, column = self._position(min(self.n, self.i + 1))
        return JsonError(message, line, column)

    def fix(self, err):
        if err.line == 0:
            return self.error(err.message)
        return err

    # -- bytes --------------------------------------------------------------

    def peek(self):
        if self.i < self.n:
            return self.s[self.i]
        return None

    def peek_or_null(self):
        if self.i < self.n:
            return self.s[self.i]
        return 0

    def next(self):
        if self.i < self.n:
            b = self.s[self.i]
            self.i += 1
            return b
        return None

    def next_or_null(self):
        b = self.next()
        return 0 if b is None else b

    def ws(self):
        s, n, i = self.s, self.n, self.i
        while i < n and s[i] in WHITESPACE:
            i += 1
        self.i = i
        return s[i] if i < n else None

    def end(self):
        if self.ws() is not None:
            raise self.peek_error(TRAILING_CHARACTERS)

    def parse_ident(self, ident):
        for expected in ident:
            b = self.next()
            if b is None:
                raise self.error(EOF_VALUE)
            if b != expected:
                raise self.error(EXPECTED_IDENT)

    def recurse_in(self):
        self.depth -= 1
        if self.depth == 0:
            raise self.peek_error(RECURSION_LIMIT)

    def recurse_out(self):
        self.depth += 1

    # -- numbers (serde_json without `float_roundtrip`) ---------------------

    def parse_integer(self, positive):
        """A number whose sign was eaten: ("u"|"i"|"f", value)."""
        b = self.next()
        if b is None:
            raise self.error(EOF_VALUE)
        if b == 0x30:
            if 0x30 <= self.peek_or_null() <= 0x39:
                raise self.peek_error(INVALID_NUMBER)
            return self.parse_number(positive, 0)
        if 0x31 <= b <= 0x39:
            significand = b - 0x30
            while True:
                c = self.peek_or_null()
                if 0x30 <= c <= 0x39:
                    digit = c - 0x30
                    if significand >= U64_MAX // 10 and (
                        significand > U64_MAX // 10 or digit > U64_MAX % 10
                    ):
                        return ("f", self.parse_long_integer(positive, significand))
                    self.i += 1
                    significand = significand * 10 + digit
                else:
                    return self.parse_number(positive, significand)
        raise self.error(INVALID_NUMBER)

    def parse_number(self, positive, significand):
        c = self.peek_or_null()
        if c == 0x2E:
            return ("f", self.parse_decimal(positive, significand, 0))
        if c in (0x65, 0x45):
            return ("f", self.parse_exponent(positive, significand, 0))
        if positive:
            return ("u", significand)
        if significand == 0 or significand > (1 << 63):
            # `-0` and anything below i64::MIN become floats.
            return ("f", -float(significand))
        return ("i", -significand)

    def parse_decimal(self, positive, significand, exponent_before):
        self.i += 1
        after = 0
        while True:
            c = self.peek_or_null()
            if not 0x30 <= c <= 0x39:
                break
            digit = c - 0x30
            if significand >= U64_MAX // 10 and (
                significand > U64_MAX // 10 or digit > U64_MAX % 10
            ):
                return self.parse_decimal_overflow(positive, significand, exponent_before + after)
            self.i += 1
            significand = significand * 10 + digit
            after -= 1
        if after == 0:
            if self.peek() is not None:
                raise self.peek_error(INVALID_NUMBER)
            raise self.peek_error(EOF_VALUE)
        exponent = exponent_before + after
        if self.peek_or_null() in (0x65, 0x45):
            return self.parse_exponent(positive, significand, exponent)
        return self.f64_from_parts(positive, significand, exponent)

    def parse_exponent(self, positive, significand, starting_exp):
        self.i += 1
        positive_exp = True
        c = self.peek_or_null()
        if c == 0x2B:
            self.i += 1
        elif c == 0x2D:
            self.i += 1
            positive_exp = False
        b = self.next()
        if b is None:
            raise self.error(EOF_VALUE)
        if not 0x30 <= b <= 0x39:
            raise self.error(INVALID_NUMBER)
        exp = b - 0x30
        while True:
            c = self.peek_or_null()
            if not 0x30 <= c <= 0x39:
                break
            self.i += 1
            digit = c - 0x30
            if exp >= I32_MAX // 10 and (exp > I32_MAX // 10 or digit > I32_MAX % 10):
                return self.parse_exponent_overflow(positive, significand == 0, positive_exp)
            exp = exp * 10 + digit
        if positive_exp:
            final = min(starting_exp + exp, I32_MAX)
        else:
            final = max(starting_exp - exp, -I32_MAX - 1)
        return self.f64_from_parts(positive, significand, final)

    def f64_from_parts(self, positive, significand, exponent):
        f = float(significand)
        while True:
            k = abs(exponent)
            if k < len(POW10):
                if exponent >= 0:
                    f *= POW10[k]
                    if f == float("inf"):
                        raise self.error(NUMBER_OUT_OF_RANGE)
                else:
                    f /= POW10[k]
                break
            if f == 0.0:
                break
            if exponent >= 0:
                raise self.error(NUMBER_OUT_OF_RANGE)
            f /= 1e308
            exponent += 308
        return f if positive else -f

    def parse_long_integer(self, positive, significand):
        exponent = 0
        while True:
            c = self.peek_or_null()
            if 0x30 <= c <= 0x39:
                self.i += 1
                exponent += 1
            elif c == 0x2E:
                return self.parse_decimal(positive, significand, exponent)
            elif c in (0x65, 0x45):
                return self.parse_exponent(positive, significand, exponent)
            else:
                return self.f64_from_parts(positive, significand, exponent)

    def parse_decimal_overflow(self, positive, significand, exponent):
        while 0x30 <= self.peek_or_null() <= 0x39:
            self.i += 1
        if self.peek_or_null() in (0x65, 0x45):
            return self.parse_exponent(positive, significand, exponent)
        return self.f64_from_parts(positive, significand, exponent)

    def parse_exponent_overflow(self, positive, zero_significand, positive_exp):
        if not zero_significand and positive_exp:
            raise self.error(NUMBER_OUT_OF_RANGE)
        while 0x30 <= self.peek_or_null() <= 0x39:
            self.i += 1
        return 0.0 if positive else -0.0

    # -- strings ------------------------------------------------------------

    def _hex4(self):
        if self.i + 4 > self.n:
            self.i = self.n
            raise self.error(EOF_STRING)
        chunk = self.s[self.i:self.i + 4]
        self.i += 4
        try:
            if not all(c in b"0123456789abcdefABCDEF" for c in chunk):
                raise ValueError
            return int(chunk, 16)
        except ValueError:
            raise self.error(INVALID_ESCAPE) from None

    def _escape(self, out):
        b = self.next()
        if b is None:
            raise self.error(EOF_STRING)
        simple = {0x22: b'"', 0x5C: b"\\", 0x2F: b"/", 0x62: b"\x08", 0x66: b"\x0c",
                  0x6E: b"\n", 0x72: b"\r", 0x74: b"\t"}
        if b in simple:
            out += simple[b]
            return
        if b != 0x75:
            raise self.error(INVALID_ESCAPE)
        n = self._hex4()
        if 0xDC00 <= n <= 0xDFFF:
            raise self.error(LONE_LEADING_SURROGATE)
        if n < 0xD800 or n > 0xDBFF:
            out += chr(n).encode("utf-8")
            return
        n1 = n
        c = self.peek()
        if c is None:
            raise self.error(EOF_STRING)
        if c != 0x5C:
            self.i += 1
            raise self.error(UNEXPECTED_END_OF_HEX_ESCAPE)
        self.i += 1
        c = self.peek()
        if c is None:
            raise self.error(EOF_STRING)
        if c != 0x75:
            self.i += 1
            raise self.error(UNEXPECTED_END_OF_HEX_ESCAPE)
        self.i += 1
        n2 = self._hex4()
        if n2 < 0xDC00 or n2 > 0xDFFF:
            raise self.error(LONE_LEADING_SURROGATE)
        code = (((n1 - 0xD800) << 10) | (n2 - 0xDC00)) + 0x10000
        out += chr(code).encode("utf-8")

    def parse_str(self):
        """A string whose opening quote was eaten, as `str`."""
        s, n = self.s, self.n
        out = bytearray()
        start = self.i
        while True:
            i = self.i
            while i < n:
                c = s[i]
                if c == 0x22 or c == 0x5C or c < 0x20:
                    break
                i += 1
            self.i = i
            if i == n:
                raise self.error(EOF_STRING)
            c = s[i]
            if c == 0x22:
                out += s[start:i]
                self.i = i + 1
                try:
                    return out.decode("utf-8")
                except UnicodeDecodeError as e:
                    line, column = self._position(self.i)
                    column = max(0, column - (len(out) - e.start))
                    raise JsonError(INVALID_UNICODE, line, column) from None
            if c == 0x5C:
                out += s[start:i]
                self.i = i + 1
                self._escape(out)
                start = self.i
            else:
                self.i = i + 1
                raise self.error(CONTROL_CHARACTER)

    def ignore_str(self):
        s, n = self.s, self.n
        while True:
            i = self.i
            while i < n:
                c = s[i]
                if c == 0x22 or c == 0x5C or c < 0x20:
                    break
                i += 1
            self.i = i
            if i == n:
                raise self.error(EOF_STRING)
            c = s[i]
            if c == 0x22:
                self.i = i + 1
                return
            if c == 0x5C:
                self.i = i + 1
                b = self.next()
                if b is None:
                    raise self.error(EOF_STRING)
                if b in b'"\\/bfnrt':
                    continue
                if b == 0x75:
                    self._hex4()
                    continue
                raise self.error(INVALID_ESCAPE)
            raise self.error(CONTROL_CHARACTER)

    # -- skipping a value ---------------------------------------------------

    def _ignore_integer(self):
        b = self.next_or_null()
        if b == 0x30:
            if 0x30 <= self.peek_or_null() <= 0x39:
                raise self.peek_error(INVALID_NUMBER)
        elif 0x31 <= b <= 0x39:
            while 0x30 <= self.peek_or_null() <= 0x39:
                self.i += 1
        else:
            raise self.error(INVALID_NUMBER)
        c = self.peek_or_null()
        if c == 0x2E:
            self.i += 1
            digits = False
            while 0x30 <= self.peek_or_null() <= 0x39:
                self.i += 1
                digits = True
            if not digits:
                raise self.peek_error(INVALID_NUMBER)
            c = self.peek_or_null()
        if c in (0x65, 0x45):
            self.i += 1
            if self.peek_or_null() in (0x2B, 0x2D):
                self.i += 1
            if not 0x30 <= self.next_or_null() <= 0x39:
                raise self.error(INVALID_NUMBER)
            while 0x30 <= self.peek_or_null() <= 0x39:
                self.i += 1

    def ignore_value(self):
        stack = []
        enclosing = None
        while True:
            peek = self.ws()
            if peek is None:
                raise self.peek_error(EOF_VALUE)
            frame = None
            if peek == 0x6E:
                self.i += 1
                self.parse_ident(b"ull")
            elif peek == 0x74:
                self.i += 1
                self.parse_ident(b"rue")
            elif peek == 0x66:
                self.i += 1
                self.parse_ident(b"alse")
            elif peek == 0x2D:
                self.i += 1
                self._ignore_integer()
            elif 0x30 <= peek <= 0x39:
                self._ignore_integer()
            elif peek == 0x22:
                self.i += 1
                self.ignore_str()
            elif peek in (0x5B, 0x7B):
                if enclosing is not None:
                    stack.append(enclosing)
                    enclosing = None
                self.i += 1
                frame = peek
            else:
                raise self.peek_error(EXPECTED_VALUE)

            if frame is not None:
                accept_comma = False
            elif enclosing is not None:
                frame, enclosing, accept_comma = enclosing, None, True
            elif stack:
                frame, accept_comma = stack.pop(), True
            else:
                return

            while True:
                c = self.ws()
                if c == 0x2C and accept_comma:
                    self.i += 1
                    break
                if (c == 0x5D and frame == 0x5B) or (c == 0x7D and frame == 0x7B):
                    pass
                elif c is not None:
                    if accept_comma:
                        raise self.peek_error(
                            EXPECTED_LIST_COMMA_OR_END if frame == 0x5B else EXPECTED_OBJECT_COMMA_OR_END
                        )
                    break
                else:
                    raise self.peek_error(EOF_LIST if frame == 0x5B else EOF_OBJECT)
                self.i += 1
                if not stack:
                    return
                frame = stack.pop()
                accept_comma = True

            if frame == 0x7B:
                c = self.ws()
                if c == 0x22:
                    self.i += 1
                elif c is not None:
                    raise self.peek_error(KEY_MUST_BE_A_STRING)
                else:
                    raise self.peek_error(EOF_OBJECT)
                self.ignore_str()
                c = self.ws()
                if c == 0x3A:
                    self.i += 1
                elif c is not None:
                    raise self.peek_error(EXPECTED_COLON)
                else:
                    raise self.peek_error(EOF_OBJECT)
            enclosing = frame

    # -- what serde's visitors got instead ----------------------------------

    def peek_invalid_type(self, expected):
        c = self.peek_or_null()
        if c == 0x6E:
            self.i += 1
            self.parse_ident(b"ull")
            err = invalid_type(UNIT, expected)
        elif c == 0x74:
            self.i += 1
            self.parse_ident(b"rue")
            err = invalid_type(_unexpected_bool(True), expected)
        elif c == 0x66:
            self.i += 1
            self.parse_ident(b"alse")
            err = invalid_type(_unexpected_bool(False), expected)
        elif c == 0x2D:
            self.i += 1
            err = invalid_type(_number_unexpected(self.parse_integer(False)), expected)
        elif 0x30 <= c <= 0x39:
            err = invalid_type(_number_unexpected(self.parse_integer(True)), expected)
        elif c == 0x22:
            self.i += 1
            err = invalid_type(_unexpected_str(self.parse_str()), expected)
        elif c == 0x5B:
            err = invalid_type(SEQ, expected)
        elif c == 0x7B:
            err = invalid_type(MAP, expected)
        else:
            return self.peek_error(EXPECTED_VALUE)
        return self.fix(err)

    # -- sequences and maps -------------------------------------------------

    def end_seq(self):
        c = self.ws()
        if c == 0x5D:
            self.i += 1
            return
        if c == 0x2C:
            self.i += 1
            if self.ws() == 0x5D:
                raise self.peek_error(TRAILING_COMMA)
            raise self.peek_error(TRAILING_CHARACTERS)
        if c is not None:
            raise self.peek_error(TRAILING_CHARACTERS)
        raise self.peek_error(EOF_LIST)

    def end_map(self):
        c = self.ws()
        if c == 0x7D:
            self.i += 1
            return
        if c == 0x2C:
            raise self.peek_error(TRAILING_COMMA)
        if c is not None:
            raise self.peek_error(TRAILING_CHARACTERS)
        raise self.peek_error(EOF_OBJECT)

    def has_next_element(self, state):
        c = self.ws()
        if c is None:
            raise self.peek_error(EOF_LIST)
        if c == 0x5D:
            return False
        if state[0]:
            state[0] = False
            return True
        if c == 0x2C:
            self.i += 1
            c = self.ws()
            if c == 0x5D:
                raise self.peek_error(TRAILING_COMMA)
            if c is None:
                raise self.peek_error(EOF_VALUE)
            return True
        raise self.peek_error(EXPECTED_LIST_COMMA_OR_END)

    def next_key(self, state):
        """The next key of a map (its value still to read), or None at `}`."""
        c = self.ws()
        if c is None:
            raise self.peek_error(EOF_OBJECT)
        if c == 0x7D:
            return None
        if state[0]:
            state[0] = False
            if c != 0x22:
                raise self.peek_error(KEY_MUST_BE_A_STRING)
        elif c == 0x2C:
            self.i += 1
            c = self.ws()
            if c == 0x7D:
                raise self.peek_error(TRAILING_COMMA)
            if c is None:
                raise self.peek_error(EOF_VALUE)
            if c != 0x22:
                raise self.peek_error(KEY_MUST_BE_A_STRING)
        else:
            raise self.peek_error(EXPECTED_OBJECT_COMMA_OR_END)
        self.i += 1
        return self.parse_str()

    def object_colon(self):
        c = self.ws()
        if c == 0x3A:
            self.i += 1
            return
        if c is not None:
            raise self.peek_error(EXPECTED_COLON)
        raise self.peek_error(EOF_OBJECT)

    def _compound(self, opener, visit, closer):
        """`[`/`{` then the visitor then `end_seq`/`end_map`, as serde_json does."""
        self.recurse_in()
        self.i += 1
        err = None
        try:
            value = visit(self)
        except JsonError as e:
            err = e
        self.recurse_out()
        try:
            closer()
        except JsonError as e:
            if err is None:
                err = e
        if err is not None:
            raise self.fix(err)
        return value


# ---------------------------------------------------------------------------
# Types: each mirrors a Rust type's `Deserialize`.


class _Type:
    expecting = "?"

    def read(self, r):  # pragma: no cover - abstract
        raise NotImplementedError


class _Str(_Type):
    expecting = "a string"

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        if c == 0x22:
            r.i += 1
            return self.visit_str(r, r.parse_str())
        raise r.peek_invalid_type(self.expecting)

    def visit_str(self, r, value):
        return value


class Custom(_Str):
    """A type read from a JSON string by a function (e.g. `jiff::Timestamp`)."""

    def __init__(self, expecting, parse):
        self.expecting = expecting
        self.parse = parse

    def visit_str(self, r, value):
        try:
            return self.parse(value)
        except ValueError as e:
            raise r.fix(JsonError(str(e))) from None


class _Bool(_Type):
    expecting = "a boolean"

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        if c == 0x74:
            r.i += 1
            r.parse_ident(b"rue")
            return True
        if c == 0x66:
            r.i += 1
            r.parse_ident(b"alse")
            return False
        raise r.peek_invalid_type(self.expecting)


class _U32(_Type):
    expecting = "u32"

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        if c == 0x2D:
            r.i += 1
            number = r.parse_integer(False)
        elif 0x30 <= c <= 0x39:
            number = r.parse_integer(True)
        else:
            raise r.peek_invalid_type(self.expecting)
        kind, value = number
        if kind == "f":
            raise r.fix(invalid_type(_unexpected_float(value), self.expecting))
        if 0 <= value <= U32_MAX:
            return value
        raise r.fix(invalid_value(_unexpected_int(value), self.expecting))


class _Any(_Type):
    """`deserialize_any` with a visitor: `Value` takes everything, `Number` numbers."""

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        try:
            if c == 0x6E:
                r.i += 1
                r.parse_ident(b"ull")
                return self.visit_unit()
            if c == 0x74:
                r.i += 1
                r.parse_ident(b"rue")
                return self.visit_bool(True)
            if c == 0x66:
                r.i += 1
                r.parse_ident(b"alse")
                return self.visit_bool(False)
            if c == 0x2D:
                r.i += 1
                return self.visit_number(r.parse_integer(False))
            if 0x30 <= c <= 0x39:
                return self.visit_number(r.parse_integer(True))
            if c == 0x22:
                r.i += 1
                return self.visit_str(r.parse_str())
            if c == 0x5B:
                return r._compound(c, self.visit_seq, r.end_seq)
            if c == 0x7B:
                return r._compound(c, self.visit_map, r.end_map)
        except JsonError as e:
            raise r.fix(e) from None
        raise r.peek_error(EXPECTED_VALUE)

    def visit_unit(self):
        raise invalid_type(UNIT, self.expecting)

    def visit_bool(self, value):
        raise invalid_type(_unexpected_bool(value), self.expecting)

    def visit_number(self, number):
        raise invalid_type(_number_unexpected(number), self.expecting)

    def visit_str(self, value):
        raise invalid_type(_unexpected_str(value), self.expecting)

    def visit_seq(self, r):
        raise invalid_type(SEQ, self.expecting)

    def visit_map(self, r):
        raise invalid_type(MAP, self.expecting)


class _Value(_Any):
    """`serde_json::Value`: None, bool, int, float, str, list, dict."""

    expecting = "any valid JSON value"

    def visit_unit(self):
        return None

    def visit_bool(self, value):
        return value

    def visit_number(self, number):
        return number[1]

    def visit_str(self, value):
        return value

    def visit_seq(self, r):
        items = []
        state = [True]
        while r.has_next_element(state):
            items.append(self.read(r))
        return items

    def visit_map(self, r):
        items = {}
        state = [True]
        while True:
            key = r.next_key(state)
            if key is None:
                return items
            r.object_colon()
            items[key] = self.read(r)


class _Number(_Any):
    """`serde_json::Number`, kept as ("u"|"i"|"f", value)."""

    expecting = "a JSON number"

    def visit_number(self, number):
        return number


class Option(_Type):
    def __init__(self, inner):
        self.inner = inner
        self.expecting = inner.expecting

    def read(self, r):
        if r.ws() == 0x6E:
            r.i += 1
            r.parse_ident(b"ull")
            return None
        return self.inner.read(r)


class Vec(_Type):
    expecting = "a sequence"

    def __init__(self, inner):
        self.inner = inner

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        if c == 0x5B:
            return r._compound(c, self._visit, r.end_seq)
        raise r.fix(r.peek_invalid_type(self.expecting))

    def _visit(self, r):
        items = []
        state = [True]
        while r.has_next_element(state):
            items.append(self.inner.read(r))
        return items


class StrMap(_Type):
    """`BTreeMap<String, T>` (or `HashMap`): later duplicates win."""

    expecting = "a map"

    def __init__(self, inner):
        self.inner = inner

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        if c == 0x7B:
            return r._compound(c, self._visit, r.end_map)
        raise r.fix(r.peek_invalid_type(self.expecting))

    def _visit(self, r):
        items = {}
        state = [True]
        while True:
            key = r.next_key(state)
            if key is None:
                return items
            r.object_colon()
            items[key] = self.inner.read(r)


class Field:
    """A struct field: its JSON name, its type and what it is when missing.

    `default` is a zero-argument function giving the value of a missing
    field (`#[serde(default)]`, or an `Option` reading as `None`); None makes
    the field required. `attr` says whether it is `#[serde(default)]`, which
    alone also fills a field missing from the short array form.
    """

    def __init__(self, name, kind, default=None, attr=True):
        self.name = name
        self.kind = kind
        self.default = default
        self.attr = attr and default is not None


class Struct(_Type):
    """A `#[derive(Deserialize)]` struct; values read as dicts in field order."""

    def __init__(self, name, fields, deny_unknown=False):
        self.name = name
        self.fields = fields
        self.by_name = {f.name: f for f in fields}
        self.deny_unknown = deny_unknown
        self.expecting = "struct %s" % name

    def read(self, r):
        c = r.ws()
        if c is None:
            raise r.peek_error(EOF_VALUE)
        if c == 0x5B:
            return r._compound(c, self._visit_seq, r.end_seq)
        if c == 0x7B:
            return r._compound(c, self._visit_map, r.end_map)
        raise r.fix(r.peek_invalid_type(self.expecting))

    def _visit_seq(self, r):
        out = {}
        state = [True]
        for index, field in enumerate(self.fields):
            if r.has_next_element(state):
                out[field.name] = field.kind.read(r)
            elif field.attr:
                out[field.name] = field.default()
            else:
                raise JsonError(
                    "invalid length %d, expected struct %s with %d element%s"
                    % (index, self.name, len(self.fields), "" if len(self.fields) == 1 else "s")
                )
        return out

    def _unknown(self, key):
        names = [f.name for f in self.fields]
        if not names:
            expected = "there are no fields"
            return JsonError("unknown field `%s`, %s" % (key, expected))
        if len(names) == 1:
            expected = "`%s`" % names[0]
        elif len(names) == 2:
            expected = "`%s` or `%s`" % (names[0], names[1])
        else:
            expected = "one of " + ", ".join("`%s`" % n for n in names)
        return JsonError("unknown field `%s`, expected %s" % (key, expected))

    def _visit_map(self, r):
        got = {}
        state = [True]
        while True:
            key = r.next_key(state)
            if key is None:
                break
            field = self.by_name.get(key)
            if field is None:
                if self.deny_unknown:
                    raise self._unknown(key)
                r.object_colon()
                r.ignore_value()
                continue
            if field.name in got:
                raise JsonError("duplicate field `%s`" % field.name)
            r.object_colon()
            got[field.name] = field.kind.read(r)
        out = {}
        for field in self.fields:
            if field.name in got:
                out[field.name] = got[field.name]
            elif field.default is not None:
                out[field.name] = field.default()
            else:
                raise JsonError("missing field `%s`" % field.name)
        return out


STRING = _Str()
BOOL = _Bool()
U32 = _U32()
NUMBER = _Number()
VALUE = _Value()


def from_bytes(data, kind):
    """`serde_json::from_slice::<kind>`: the value, or JsonError."""
    r = Reader(bytes(data))
    value = kind.read(r)
    r.end()
    return value


def from_str(text, kind):
    """`serde_json::from_str::<kind>`."""
    return from_bytes(text.encode("utf-8", "surrogatepass"), kind)


# ---------------------------------------------------------------------------
# Writing.


class Ordered(dict):
    """A struct being serialised: its keys stay in the order given."""


def _escape(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(o, "\\u%04x" % o))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_f64(value):
    """An f64 as zmij writes it (serde_json's floats, serde's `floating point`)."""
    if value != value or value in (float("inf"), float("-inf")):
        return "NaN" if value != value else ("inf" if value > 0 else "-inf")
    sign = "-" if (value < 0 or (value == 0 and str(value).startswith("-"))) else ""
    value = abs(value)
    if value == 0:
        return sign + "0.0"
    mantissa, _, exp = ("%r" % value).partition("e")
    digits = mantissa.replace(".", "")
    int_len = len(mantissa.split(".")[0])
    exponent = int(exp) if exp else 0
    # Normalise to digits d1d2... and the exponent of d1.
    stripped = digits.lstrip("0")
    lead_zeros = len(digits) - len(stripped)
    dec_exp = int_len - 1 + exponent - lead_zeros
    digits = stripped.rstrip("0") or "0"
    if -5 <= dec_exp <= 15:
        if len(digits) - 1 <= dec_exp:
            return sign + digits + "0" * (dec_exp + 1 - len(digits)) + ".0"
        if dec_exp >= 0:
            return sign + digits[: dec_exp + 1] + "." + digits[dec_exp + 1:]
        return sign + "0." + "0" * (-dec_exp - 1) + digits
    body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return "%s%se%s%d" % (sign, body, "+" if dec_exp >= 0 else "-", abs(dec_exp))


def dumps(value):
    """serde_json's compact text of a value (`to_string`)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return "null"
        return format_f64(value)
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, Ordered):
        items = value.items()
    elif isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: kv[0].encode("utf-8", "surrogatepass"))
    else:
        raise TypeError("cannot serialise %r" % type(value))
    return "{" + ",".join(_escape(k) + ":" + dumps(v) for k, v in items) + "}"


# ---------------------------------------------------------------------------
# Rust's `{:?}` of a string (serde's `string "..."`).


def _printable(ch):
    if ch == " ":
        return True
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")


def rust_debug_str(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == "\0":
            out.append("\\0")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif 0x20 <= o < 0x7F:
            out.append(ch)
        elif unicodedata.category(ch) in ("Mn", "Me") or not _printable(ch):
            out.append("\\u{%x}" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
