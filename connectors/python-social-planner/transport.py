"""HTTP over `wasi:http/outgoing-handler`, the only network a connector has.

The same steps as the Rust SDK's `WasiTransport`: header names lowercased,
the request handed to the host before its body is written, the response
read whole. What the host refuses comes back as `Denied`; no answer in time
as `Timeout`; anything else as `Io`. The credential is never set here: the
host attaches it to requests for the connection's own origin.
"""

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, types
from wit_world.imports.streams import StreamError_Closed, StreamError_LastOperationFailed

from rustfmt import debug_error_code


class TransportError(Exception):
    """Why a request got no response: kind is "denied", "timeout" or "io"."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self):
        if self.kind == "denied":
            return "request refused by the host's policy: %s" % self.message
        if self.kind == "timeout":
            return "request timed out: %s" % self.message
        return "request failed: %s" % self.message


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        """The first value of header `name` (ASCII case-insensitive)."""
        wanted = _ascii_lower(name)
        for n, v in self.headers:
            if _ascii_lower(n) == wanted:
                return v
        return None


def _ascii_lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def _error_code(code):
    if isinstance(code, types.ErrorCode_HttpRequestDenied):
        return TransportError("denied", "the destination is not allowed")
    if isinstance(code, types.ErrorCode_DestinationIpProhibited):
        return TransportError("denied", "the destination address is prohibited")
    if isinstance(
        code,
        (types.ErrorCode_ConnectionTimeout, types.ErrorCode_ConnectionReadTimeout, types.ErrorCode_HttpResponseTimeout),
    ):
        return TransportError("timeout", debug_error_code(code))
    return TransportError("io", debug_error_code(code))


def _split_url(url):
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise TransportError("io", "`%s` is not an absolute URL" % url)
    if scheme == "https":
        wasi_scheme = types.Scheme_Https()
    elif scheme == "http":
        wasi_scheme = types.Scheme_Http()
    else:
        wasi_scheme = types.Scheme_Other(scheme)
    slash = rest.find("/")
    if slash < 0:
        return wasi_scheme, rest, "/"
    return wasi_scheme, rest[:slash], rest[slash:]


_METHODS = {
    "GET": types.Method_Get,
    "POST": types.Method_Post,
    "PUT": types.Method_Put,
    "PATCH": types.Method_Patch,
    "DELETE": types.Method_Delete,
}


def send(method, url, headers, body=None):
    """Sends one request and reads its whole response."""
    scheme, authority, path = _split_url(url)
    entries = [(_ascii_lower(n), v.encode("utf-8")) for n, v in headers]
    try:
        fields = types.Fields.from_list(entries)
    except Err as e:
        raise TransportError("io", "headers: %s" % debug_header_error(e.value)) from None
    request = types.OutgoingRequest(fields)

    def invalid(what):
        return TransportError("io", "invalid %s in `%s`" % (what, url))

    try:
        request.set_method(_METHODS[method]())
    except Err:
        raise invalid("method") from None
    try:
        request.set_scheme(scheme)
    except Err:
        raise invalid("scheme") from None
    try:
        request.set_authority(authority)
    except Err:
        raise invalid("authority") from None
    try:
        request.set_path_with_query(path)
    except Err:
        raise invalid("path") from None
    try:
        outgoing_body = request.body()
    except Err:
        raise TransportError("io", "request body: ()") from None
    # Handed to the host first, so that the host reads the body while it is
    # written (a body larger than the host's buffer streams).
    try:
        pending = outgoing_handler.handle(request, None)
    except Err as e:
        raise _error_code(e.value) from None
    if body is not None:
        try:
            stream = outgoing_body.write()
        except Err:
            raise TransportError("io", "request body stream: ()") from None
        for start in range(0, len(body), 4096):
            try:
                stream.blocking_write_and_flush(body[start:start + 4096])
            except Err:
                # The host refused the rest (a limit); the response says why.
                break
        stream.__exit__(None, None, None)
    try:
        types.OutgoingBody.finish(outgoing_body, None)
    except Err:
        pass
    while True:
        answer = pending.get()
        if answer is None:
            pollable = pending.subscribe()
            pollable.block()
            pollable.__exit__(None, None, None)
            continue
        if isinstance(answer, Err):
            raise TransportError("io", "response already taken")
        inner = answer.value
        if isinstance(inner, Err):
            raise _error_code(inner.value)
        response = inner.value if isinstance(inner, Ok) else inner
        break
    pending.__exit__(None, None, None)
    status = response.status()
    header_fields = response.headers()
    response_headers = [(n, v.decode("utf-8", "replace")) for n, v in header_fields.entries()]
    header_fields.__exit__(None, None, None)
    try:
        incoming = response.consume()
    except Err:
        raise TransportError("io", "response body: ()") from None
    try:
        stream = incoming.stream()
    except Err:
        raise TransportError("io", "response body stream: ()") from None
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(64 * 1024))
        except Err as e:
            if isinstance(e.value, StreamError_Closed):
                break
            if isinstance(e.value, StreamError_LastOperationFailed):
                message = e.value.value.to_debug_string()
                raise TransportError("io", "reading response body: %s" % message) from None
            raise
    stream.__exit__(None, None, None)
    types.IncomingBody.finish(incoming)
    response.__exit__(None, None, None)
    return Response(status, response_headers, b"".join(chunks))


def debug_header_error(e):
    name = type(e).__name__.replace("HeaderError_", "")
    return "HeaderError::%s" % name
