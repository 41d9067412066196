"""The GHL API v2 client of the Rust connector (`connector/src/ghl.rs`,
`connector/src/api.rs`, `weft-openapi-runtime`'s error mapping), for the one
endpoint the tag trigger and action use."""

import sjson
from sjson import Field, Option, Struct, Vec

API_VERSION = "2021-07-28"
# GHL's answer when a token lacks the operation's scope (a 401, not a 403).
SCOPE_MESSAGE = "not authorized for this scope"
SCOPE_TAGS = "socialplanner/tag.readonly"
# The largest page the tags endpoint serves.
MAX_PAGE = 100

U64_MAX = (1 << 64) - 1


class ConnectorError(Exception):
    """The SDK's `ConnectorError`: `kind` is the WIT case name."""

    def __init__(self, kind, message, field=None, scope=None, retry_after_ms=None, status=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field
        self.scope = scope
        self.retry_after_ms = retry_after_ms
        self.status = status


def invalid(field, message):
    return ConnectorError("invalid-input", message, field=field)


def upstream(status, message):
    return ConnectorError("upstream", message, status=status)


# ---------------------------------------------------------------------------
# Rust's text helpers.

_WHITE_SPACE = set(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def rust_trim(s):
    """`str::trim`: Unicode White_Space off both ends."""
    start, end = 0, len(s)
    while start < end and s[start] in _WHITE_SPACE:
        start += 1
    while end > start and s[end - 1] in _WHITE_SPACE:
        end -= 1
    return s[start:end]


def parse_u64(s):
    """`u64::from_str`: an optional `+` and ASCII digits, or None."""
    digits = s[1:] if s.startswith("+") else s
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None
    value = int(digits)
    return value if value <= U64_MAX else None


def encode(s):
    """Percent-encodes all but the RFC 3986 unreserved characters."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if "A" <= c <= "Z" or "a" <= c <= "z" or "0" <= c <= "9" or c in "-_.~":
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


# ---------------------------------------------------------------------------
# The call context.


class CallContext:
    def __init__(self, base_url, facts):
        self.base_url = base_url
        self.facts = facts

    @classmethod
    def from_host(cls, base_url, connection_json):
        text = "{}" if rust_trim(connection_json) == "" else connection_json
        try:
            facts = sjson.from_str(text, sjson.VALUE)
        except sjson.JsonError as e:
            raise invalid("connection", "the host passed unreadable connection facts: %s" % e) from None
        if not isinstance(facts, dict):
            raise invalid("connection", "the host passed connection facts that are not an object")
        return cls(base_url.rstrip("/"), facts)

    def fact(self, name):
        value = self.facts.get(name)
        if isinstance(value, str) and rust_trim(value) != "":
            return value
        return None

    def require(self, name, hint):
        value = self.fact(name)
        if value is None:
            raise invalid("connection.%s" % name, hint)
        return value


def location(ctx):
    """The location (sub-account) the connection is for."""
    return ctx.require(
        "locationId",
        "this connection has no GHL location id; connect a sub-account (location) or set `location_id` in the connection",
    )


# ---------------------------------------------------------------------------
# What the API sends.

TAG = Struct(
    "Tag",
    [
        Field("_id", sjson.STRING),
        Field("tag", sjson.STRING),
        Field("locationId", Option(sjson.STRING), lambda: None),
        Field("createdBy", Option(sjson.STRING), lambda: None),
        Field("deleted", sjson.BOOL, lambda: False),
        Field("createdAt", Option(sjson.STRING), lambda: None),
        Field("updatedAt", Option(sjson.STRING), lambda: None),
    ],
)

TAGS_RESULTS = Struct(
    "TagsResults",
    [
        Field("tags", Vec(TAG), list),
        Field("count", Option(sjson.NUMBER), lambda: None),
    ],
)

ENVELOPE_TAGS = Struct("Envelope", [Field("results", Option(TAGS_RESULTS), lambda: None, attr=False)])


def tag_output(tag):
    """A tag as the connector emits it (`model::Tag`'s field order)."""
    out = sjson.Ordered()
    out["_id"] = tag["_id"]
    out["tag"] = tag["tag"]
    for name in ("locationId", "createdBy"):
        if tag[name] is not None:
            out[name] = tag[name]
    out["deleted"] = tag["deleted"]
    for name in ("createdAt", "updatedAt"):
        if tag[name] is not None:
            out[name] = tag[name]
    return out


def _count(results):
    count = results["count"]
    if count is None:
        return len(results["tags"])
    kind, value = count
    if kind == "u":
        return value
    if kind == "i":
        # `as_u64` fails on a negative integer; `as_f64` then clamps it to 0.
        return 0
    # `f.max(0.0) as u64`: truncated, saturating.
    value = max(value, 0.0)
    if value >= 18446744073709551616.0:
        return U64_MAX
    return int(value)


# ---------------------------------------------------------------------------
# Errors.


def message_of(response):
    """The message of an error body: `message` (text, or sentences joined),
    `error_description`, `error`, or the start of the raw body."""
    try:
        body = sjson.from_bytes(response.body, sjson.VALUE)
    except sjson.JsonError:
        body = None
    field = None
    found = False
    if isinstance(body, dict):
        for name in ("message", "error_description", "error"):
            if name in body:
                field, found = body[name], True
                break
    if not found:
        return response.body.decode("utf-8", "replace")[:300]
    if isinstance(field, str):
        return field
    if isinstance(field, list):
        return "; ".join(item if isinstance(item, str) else sjson.dumps(item) for item in field)
    return sjson.dumps(field)


def error_from_response(response, scope):
    message = message_of(response)
    status = response.status
    if status in (400, 422):
        return ConnectorError("invalid-input", message)
    if status == 401 and SCOPE_MESSAGE in message:
        return ConnectorError(
            "forbidden", "%s Reconnect the account and grant `%s`." % (message, scope), scope=scope
        )
    if status == 401:
        return ConnectorError("unauthorized", message)
    if status == 403:
        return ConnectorError("forbidden", message)
    if status == 404:
        return ConnectorError("not-found", message)
    if status == 429:
        retry = response.header("retry-after")
        seconds = parse_u64(rust_trim(retry)) if retry is not None else None
        retry_after_ms = None if seconds is None else (seconds * 1000) & U64_MAX
        return ConnectorError(
            "rate-limited", message if message else "too many requests", retry_after_ms=retry_after_ms
        )
    if 500 <= status <= 599:
        return ConnectorError("transient", "the API answered %d: %s" % (status, message))
    return upstream(status, message)


# ---------------------------------------------------------------------------
# Calls.


def _get(ctx, path, kind, scope):
    import transport

    headers = [("Version", API_VERSION), ("Accept", "application/json")]
    try:
        response = transport.send("GET", ctx.base_url.rstrip("/") + path, headers)
    except transport.TransportError as e:
        if e.kind == "denied":
            raise ConnectorError("forbidden", str(e)) from None
        raise ConnectorError("transient", str(e)) from None
    if not 200 <= response.status < 300:
        raise error_from_response(response, scope)
    try:
        return sjson.from_bytes(response.body, kind)
    except sjson.JsonError as e:
        raise upstream(
            response.status, "GET %s answered with JSON this connector cannot read: %s" % (path, e)
        ) from None


def list_tags(ctx, search, limit, skip):
    """One page of the location's tags: (tags, count)."""
    path = "/social-media-posting/%s/tags?limit=%d&skip=%d" % (encode(location(ctx)), limit, skip)
    if search:
        path += "&searchText=%s" % encode(search)
    answer = _get(ctx, path, ENVELOPE_TAGS, SCOPE_TAGS)
    results = answer["results"]
    if results is None:
        return [], 0
    return results["tags"], _count(results)
