"""Rust's `{:?}` of `wasi:http` error codes, as wit-bindgen derives it, so a
failed request reads like the Rust connector's (`request failed:
ErrorCode::ConnectionRefused`)."""

from sjson import rust_debug_str

# The cases whose payload is an `option<...>`; the others carry a record.
_OPTIONAL = {
    "HttpRequestBodySize", "HttpRequestHeaderSectionSize", "HttpRequestHeaderSize",
    "HttpRequestTrailerSectionSize", "HttpResponseHeaderSectionSize", "HttpResponseBodySize",
    "HttpResponseTrailerSectionSize", "HttpResponseTransferCoding", "HttpResponseContentCoding",
    "InternalError",
}

# Record types: their Rust names and WIT field names, in order.
_RECORDS = {
    "DnsErrorPayload": (("rcode", "rcode"), ("info-code", "info_code")),
    "TlsAlertReceivedPayload": (("alert-id", "alert_id"), ("alert-message", "alert_message")),
    "FieldSizePayload": (("field-name", "field_name"), ("field-size", "field_size")),
}


def _debug(value):
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return rust_debug_str(value)
    name = type(value).__name__
    fields = _RECORDS.get(name)
    if fields is None:
        return repr(value)
    inner = ", ".join("%s: %s" % (wit, _some(getattr(value, attr))) for wit, attr in fields)
    return "%s { %s }" % (name, inner)


def _some(value):
    return "None" if value is None else "Some(%s)" % _debug(value)


def debug_error_code(code):
    case = type(code).__name__
    if case.startswith("ErrorCode_"):
        case = case[len("ErrorCode_"):]
    text = "ErrorCode::" + case
    if not hasattr(code, "value"):
        return text
    value = code.value
    payload = _some(value) if case in _OPTIONAL else _debug(value)
    return "%s(%s)" % (text, payload)
