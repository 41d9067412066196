"""The GHL Social Planner connector's `new-tag` trigger and `find-tags`
action, in Python: the same requests, events, cursor rule and errors as the
Rust connector (`connector/src`), in the same host, under the same sandbox.
Built with componentize-py (`build.sh`); the SDK is `sdk/python/weft_connector.py`."""

import json
import os

from wit_world import exports
from wit_world.imports import connector_types as ct

import weft_connector as weft

# The API version the social planner endpoints require.
API_VERSION = "2021-07-28"
# GHL's answer when a token lacks the operation's scope (a 401, not a 403).
SCOPE_MESSAGE = "not authorized for this scope"
SCOPE_TAGS = "socialplanner/tag.readonly"
# The largest page the tags endpoint serves, and the most pages one poll reads.
MAX_PAGE = 100
MAX_PAGES = 100
# The fields of a tag the connector returns, in the Rust connector's order.
TAG_FIELDS = ("_id", "tag", "locationId", "createdBy", "deleted", "createdAt", "updatedAt")

with open(os.path.join(os.path.dirname(__file__), "manifest.json")) as f:
    MANIFEST = f.read()


def location(ctx) -> str:
    found = weft.facts(ctx).get("locationId")
    if not isinstance(found, str) or not found:
        raise weft.invalid(
            "locationId",
            "this connection has no GHL location id; connect a sub-account (location) or set `location_id` in the connection",
        )
    return found


def tag(raw: dict) -> dict:
    """A tag as the Rust connector returns it: known fields only, `deleted` always."""
    out = {k: raw[k] for k in TAG_FIELDS if raw.get(k) is not None}
    out["deleted"] = bool(raw.get("deleted", False))
    return {k: out[k] for k in TAG_FIELDS if k in out}


def list_tags(ctx, search, limit: int, skip: int) -> dict:
    path = f"/social-media-posting/{weft.encode(location(ctx))}/tags?limit={limit}&skip={skip}"
    if search:
        path += f"&searchText={weft.encode(search)}"
    url = ctx.base_url.rstrip("/") + path
    response = weft.send("GET", url, {"Version": API_VERSION, "Accept": "application/json"})
    if not response.is_success():
        raise weft.error_from_response(response, SCOPE_TAGS, SCOPE_MESSAGE)
    results = (response.json() or {}).get("results") or {}
    tags = [tag(t) for t in results.get("tags") or [] if isinstance(t, dict) and "_id" in t and "tag" in t]
    count = results.get("count")
    count = int(max(count, 0)) if isinstance(count, (int, float)) else len(tags)
    return {"tags": tags, "count": count}


def read_tags(ctx, floor):
    """Every tag, newest first as the API lists them; stops at a page wholly older than `floor`."""
    seen, order, previous_first = {}, [], None
    for page in range(MAX_PAGES):
        page_list = list_tags(ctx, None, MAX_PAGE, page * MAX_PAGE)
        tags = page_list["tags"]
        first = tags[0]["_id"] if tags else None
        if page > 0 and first is not None and first == previous_first:
            weft.log("warn", "the tags endpoint repeated a page; stopped paging")
            break
        previous_first = first
        stamps = [weft.stamp(t.get("createdAt")) for t in tags]
        newest_first = all(a >= b for a, b in zip(stamps, stamps[1:]))
        all_older = floor is not None and all(s < floor for s in stamps)
        for t in tags:
            if t["_id"] not in seen:
                order.append(t["_id"])
            seen[t["_id"]] = t
        read = (page + 1) * MAX_PAGE
        if len(tags) < MAX_PAGE or read >= page_list["count"] or (newest_first and all_older):
            return [seen[i] for i in order]
    weft.log("warn", f"more than {MAX_PAGES * MAX_PAGE} tags; read the newest {len(seen)}")
    return [seen[i] for i in order]


def new_tag(ctx, request):
    filt = weft.input_object(request.input)
    name_contains = (filt.get("nameContains") or "").lower()
    cursor = weft.read_window(request.cursor)
    since = weft.stamp(request.meta.since) if request.meta.since else None
    floor = cursor["hwm"] - weft.OVERLAP if cursor["hwm"] else since
    entries = [
        (t["_id"], weft.stamp(t.get("createdAt")), t)
        for t in read_tags(ctx, floor)
        if not t["deleted"] and (not name_contains or name_contains in t["tag"].lower())
    ]
    taken, state, has_more = weft.window_select(entries, cursor, since, request.meta.seed, request.meta.limit)
    events = [weft.event(event_id, item, item.get("createdAt")) for event_id, _, item in taken]
    return weft.poll_response(events, state, has_more)


def find_tags(ctx, raw_input: str) -> dict:
    given = weft.input_object(raw_input)
    limit = given.get("limit")
    limit = 20 if limit is None else limit
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise weft.invalid("limit", f"must be between 1 and {MAX_PAGE}, got {limit}")
    skip = given.get("skip") or 0
    return list_tags(ctx, given.get("searchText") or None, limit, skip)


class Metadata(exports.Metadata):
    def manifest(self) -> str:
        return MANIFEST


class Triggers(exports.Triggers):
    def poll(self, ctx, request):
        def run():
            if request.trigger == "new-tag":
                return new_tag(ctx, request)
            raise weft.invalid("trigger", f"no trigger `{request.trigger}`; this connector has new-tag")

        return weft.guarded(run)


class Actions(exports.Actions):
    def execute(self, ctx, action: str, input: str) -> str:
        def run():
            if action == "find-tags":
                return json.dumps(find_tags(ctx, input), separators=(",", ":"))
            raise weft.invalid("action", f"no action `{action}`; this connector has find-tags")

        return weft.guarded(run)


class Options(exports.Options):
    def choices(self, ctx, key: str, field: str, input: str):
        def run():
            raise weft.invalid("field", f"`{key}` has no dropdown `{field}`")

        return weft.guarded(run)


class Instant(exports.Instant):
    def transform(self, ctx, request):
        def run():
            raise weft.invalid("trigger", f"this connector has no instant trigger `{request.trigger}`")

        return weft.guarded(run)
