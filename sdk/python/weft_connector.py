"""The weft SDK for connectors written in Python (built with componentize-py).

What every Python connector needs once: HTTP over `wasi:http` (the only
network a connector has; the host attaches the credential, so a connector
never sets `Authorization`), `Failure`, which becomes the WIT
`connector-error` variant, the usual mapping of HTTP answers to it, logging
through the host, and the input and cursor helpers. The Rust SDK
(`sdk/src`) is the reference; this module keeps its names where it can.
"""

import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote, urlsplit

from componentize_py_types import Err
from wit_world.imports import connector_types as ct
from wit_world.imports import log as wit_log
from wit_world.imports import outgoing_handler, streams
from wit_world.imports.types import (
    Fields,
    IncomingBody,
    Method_Delete,
    Method_Get,
    Method_Patch,
    Method_Post,
    Method_Put,
    OutgoingBody,
    OutgoingRequest,
    Scheme_Http,
    Scheme_Https,
)

# The most bytes written to a request body stream in one go (wasi:io's limit).
WRITE_CHUNK = 4096
# The most bytes read from a response body in one go.
READ_CHUNK = 64 * 1024


class Failure(Exception):
    """A failure the host acts on; `wit()` is its WIT `connector-error` case."""

    def __init__(self, case: str, message: str, field: Optional[str] = None, scope: Optional[str] = None,
                 retry_after_ms: Optional[int] = None, status: Optional[int] = None):
        super().__init__(message)
        self.case, self.message, self.field, self.scope = case, message, field, scope
        self.retry_after_ms, self.status = retry_after_ms, status

    def wit(self):
        if self.case == "invalid-input":
            return ct.ConnectorError_InvalidInput(ct.FieldProblem(self.field, self.message))
        if self.case == "unauthorized":
            return ct.ConnectorError_Unauthorized(self.message)
        if self.case == "forbidden":
            return ct.ConnectorError_Forbidden(ct.MissingScope(self.scope, self.message))
        if self.case == "not-found":
            return ct.ConnectorError_NotFound(self.message)
        if self.case == "rate-limited":
            return ct.ConnectorError_RateLimited(ct.RetryHint(self.retry_after_ms, self.message))
        if self.case == "transient":
            return ct.ConnectorError_Transient(self.message)
        if self.case == "upstream":
            return ct.ConnectorError_Upstream(ct.UpstreamFailure(self.status, self.message))
        return ct.ConnectorError_Internal(self.message)


def invalid(field: Optional[str], message: str) -> Failure:
    return Failure("invalid-input", message, field=field)


def guarded(call):
    """Runs `call()`, turning a `Failure` into the WIT error and any other
    exception into `internal` (a bug in the connector), so no Python
    traceback crosses the boundary as a trap."""
    try:
        return call()
    except Failure as f:
        raise Err(f.wit())
    except Err:
        raise
    except Exception as e:  # noqa: BLE001 - the boundary reports every bug the same way
        raise Err(ct.ConnectorError_Internal(f"{type(e).__name__}: {e}"))


def log(level: str, message: str) -> None:
    """Writes a log line through the host, which attributes it to the call."""
    levels = {"trace": wit_log.Level.TRACE, "debug": wit_log.Level.DEBUG, "info": wit_log.Level.INFO,
              "warn": wit_log.Level.WARN, "error": wit_log.Level.ERROR}
    wit_log.log(levels.get(level, wit_log.Level.INFO), message)


@dataclass
class Response:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def is_success(self) -> bool:
        return 200 <= self.status < 300

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError as e:
            raise Failure("upstream", f"the API answered with JSON this connector cannot read: {e}", status=self.status)

    def message(self) -> str:
        """The API's own words: `message` of a JSON error body, else its first 300 characters."""
        try:
            body = json.loads(self.body)
            if isinstance(body, dict) and isinstance(body.get("message"), (str, list)):
                m = body["message"]
                return "; ".join(map(str, m)) if isinstance(m, list) else m
        except ValueError:
            pass
        return self.body.decode("utf-8", "replace")[:300]


_METHODS = {"GET": Method_Get(), "POST": Method_Post(), "PUT": Method_Put(), "PATCH": Method_Patch(),
            "DELETE": Method_Delete()}


def send(method: str, url: str, headers: Optional[Dict[str, str]] = None, body: Optional[bytes] = None) -> Response:
    """Sends one request through `wasi:http/outgoing-handler` and reads the whole answer."""
    parts = urlsplit(url)
    fields = Fields.from_list([(k, v.encode()) for k, v in (headers or {}).items()])
    request = OutgoingRequest(fields)
    request.set_method(_METHODS[method])
    request.set_scheme(Scheme_Https() if parts.scheme == "https" else Scheme_Http())
    request.set_authority(parts.netloc)
    request.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    outgoing = request.body()
    future = outgoing_handler.handle(request, None)
    if body:
        stream = outgoing.write()
        for start in range(0, len(body), WRITE_CHUNK):
            stream.blocking_write_and_flush(body[start:start + WRITE_CHUNK])
        stream.__exit__(None, None, None)
    OutgoingBody.finish(outgoing, None)
    while True:
        answer = future.get()
        if answer is not None:
            break
        future.subscribe().block()
    # `answer` is Ok(Ok(response)), Ok(Err(error-code)) or Err(()) (taken twice).
    inner = answer.value
    if isinstance(answer, Err) or isinstance(inner, Err):
        code = inner.value if isinstance(inner, Err) else "the answer was taken twice"
        raise Failure("transient", f"the request to {parts.netloc} failed: {code}")
    response = inner.value
    status = response.status()
    response_headers = [(k, v.decode("utf-8", "replace")) for k, v in response.headers().entries()]
    incoming = response.consume()
    stream = incoming.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(READ_CHUNK))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise Failure("transient", f"reading the answer from {parts.netloc} failed: {e.value}")
    stream.__exit__(None, None, None)
    IncomingBody.finish(incoming)
    return Response(status, response_headers, b"".join(chunks))


def error_from_response(response: Response, scope: Optional[str] = None,
                        scope_marker: Optional[str] = None) -> Failure:
    """Maps an error answer to the case the host acts on: 400/422 invalid
    input, 401 unauthorized (or forbidden naming `scope` when the body says
    `scope_marker`, as GHL's does), 403 forbidden, 404 not found, 429 rate
    limited with `Retry-After`, 5xx transient, anything else upstream."""
    message, status = response.message(), response.status
    if status in (400, 422):
        return invalid(None, message)
    if status == 401 and scope_marker and scope_marker in message:
        hint = f" Reconnect the account and grant `{scope}`." if scope else ""
        return Failure("forbidden", message + hint, scope=scope)
    if status == 401:
        return Failure("unauthorized", message)
    if status == 403:
        return Failure("forbidden", message, scope=None)
    if status == 404:
        return Failure("not-found", message)
    if status == 429:
        after = (response.header("retry-after") or "").strip()
        retry = int(after) * 1000 if after.isdigit() else None
        return Failure("rate-limited", message or "too many requests", retry_after_ms=retry)
    if 500 <= status <= 599:
        return Failure("transient", f"the API answered {status}: {message}")
    return Failure("upstream", message, status=status)


def encode(text: str) -> str:
    """Percent-encodes a path segment or query value."""
    return quote(text, safe="-_.~")


def input_object(text: str) -> dict:
    """An input as a JSON object; empty text reads as `{}`."""
    try:
        value = json.loads(text or "{}")
    except ValueError as e:
        raise invalid(None, f"the input is not JSON: {e}")
    if not isinstance(value, dict):
        raise invalid(None, "the input must be a JSON object")
    return value


def facts(ctx) -> dict:
    """The connection's non-secret facts (for GHL: `locationId`, `scopes`)."""
    try:
        value = json.loads(ctx.connection or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def event(id: str, data, occurred_at: Optional[str] = None):
    return ct.Event(id, occurred_at, json.dumps(data, separators=(",", ":")))


def poll_response(events: list, cursor, has_more: bool = False):
    return ct.PollResponse(events, json.dumps(cursor, separators=(",", ":")), has_more)


# --- Listings with no server-side "since": a high-water mark and the ids seen near it. ---
# The same rule as the Rust SDK's `cursor::window`: an item is new when it is
# stamped inside or above the overlap window and its id is not remembered.

from datetime import datetime, timedelta, timezone  # noqa: E402 - grouped with the helpers that use it

OVERLAP = timedelta(seconds=120)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def stamp(value: Optional[str]) -> datetime:
    """Parses an API time stamp; items without one sort first and age out."""
    if not value:
        return _EPOCH
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _EPOCH
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _text(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_window(cursor: Optional[str]) -> dict:
    """The window cursor a poll was handed (`{}` on the first poll)."""
    if not cursor:
        return {"hwm": None, "recent": {}}
    try:
        raw = json.loads(cursor)
        return {"hwm": stamp(raw["hwm"]) if raw.get("hwm") else None,
                "recent": {k: stamp(v) for k, v in (raw.get("recent") or {}).items()}}
    except (ValueError, AttributeError, KeyError, TypeError) as e:
        raise invalid("cursor", f"the stored cursor is not this trigger's: {e}")


def window_select(items: List[Tuple[str, datetime, object]], cursor: dict, since: Optional[datetime], seed: bool,
                  limit: int):
    """Chooses `(event_id, stamp, item)` entries to emit, oldest first, at most
    `limit`; when seeding, only records what exists. Returns (chosen, cursor JSON, has_more)."""
    newest = max((s for _, s, _ in items), default=None)
    bound = cursor["hwm"] - OVERLAP if cursor["hwm"] else since
    fresh = [i for i in items if (bound is None or i[1] >= bound) and i[0] not in cursor["recent"]]
    fresh.sort(key=lambda i: (i[1], i[0]))
    hwm, recent = cursor["hwm"], dict(cursor["recent"])
    if seed and cursor["hwm"] is None:
        if newest is not None:
            hwm = newest if hwm is None else max(hwm, newest)
        floor = hwm - OVERLAP if hwm else None
        fresh = [i for i in fresh if floor is None or i[1] >= floor]
        # Remember all of them, even past the limit: they existed at the seed.
        for event_id, at, _ in fresh:
            recent[event_id] = at
        taken, has_more = fresh[max(0, len(fresh) - limit):], False
    else:
        has_more = len(fresh) > limit
        taken = fresh[:limit]
    for event_id, at, _ in taken:
        hwm = at if hwm is None else max(hwm, at)
        recent[event_id] = at
    if hwm is not None:
        recent = {k: v for k, v in recent.items() if v >= hwm - OVERLAP}
    state = {"hwm": _text(hwm) if hwm else None, "recent": {k: _text(v) for k, v in sorted(recent.items())}}
    return taken, state, has_more


def choice(value: str, label: str):
    """One entry of a dynamic dropdown."""
    return ct.Choice(value, label)
