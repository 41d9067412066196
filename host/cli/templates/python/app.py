"""{{title}}: a weft connector in Python. `new-tag` polls the location's
tags and fires once per new one; `find-tags` searches them; its `tagIds`
field is a dropdown of the tags. The host attaches the credential and checks
every input and output against `manifest.json`; this code only speaks the API.
Build with ./build.sh (componentize-py); `weft_connector.py` is the weft SDK."""

import json
import os

from wit_world import exports

import weft_connector as weft

SCOPE = "socialplanner/tag.readonly"
# Ids remembered between polls, so each tag fires once.
REMEMBERED = 5000

# Read when the component is built (componentize-py runs the module then).
with open(os.path.join(os.path.dirname(__file__), "manifest.json")) as f:
    MANIFEST = f.read()


def tags(ctx, search=None):
    """The location's tags, newest first as the API lists them, as `{_id, tag}`."""
    location = weft.facts(ctx).get("locationId")
    if not location:
        raise weft.invalid("locationId", "connect a location (sub-account): set `location_id` in the connection")
    url = f"{ctx.base_url.rstrip('/')}/social-media-posting/{weft.encode(location)}/tags?limit=100&skip=0"
    if search:
        url += f"&searchText={weft.encode(search)}"
    response = weft.send("GET", url, {"Version": "2021-07-28"})
    if not response.is_success():
        failure = weft.error_from_response(response)
        if failure.case == "forbidden":
            failure.scope = SCOPE
        raise failure
    listed = ((response.json() or {}).get("results") or {}).get("tags") or []
    return [{"_id": t["_id"], "tag": t["tag"]} for t in listed if not t.get("deleted") and "_id" in t and "tag" in t]


class Metadata(exports.Metadata):
    def manifest(self) -> str:
        return MANIFEST


class Triggers(exports.Triggers):
    def poll(self, ctx, request):
        def run():
            if request.trigger != "new-tag":
                raise weft.invalid("trigger", f"no trigger `{request.trigger}`")
            seen = json.loads(request.cursor) if request.cursor else []
            fresh = [t for t in tags(ctx) if t["_id"] not in seen]
            fresh.reverse()  # oldest first
            has_more = not request.meta.seed and len(fresh) > request.meta.limit
            if has_more:
                fresh = fresh[: request.meta.limit]
            seen = (seen + [t["_id"] for t in fresh])[-REMEMBERED:]
            events = [] if request.meta.seed else [weft.event(t["_id"], t) for t in fresh]
            return weft.poll_response(events, seen, has_more)

        return weft.guarded(run)


class Actions(exports.Actions):
    def execute(self, ctx, action: str, input: str) -> str:
        def run():
            if action != "find-tags":
                raise weft.invalid("action", f"no action `{action}`")
            given = weft.input_object(input)
            picked = given.get("tagIds") or []
            found = [t for t in tags(ctx, given.get("searchText")) if not picked or t["_id"] in picked]
            return json.dumps({"tags": found})

        return weft.guarded(run)


class Options(exports.Options):
    def choices(self, ctx, key: str, field: str, input: str):
        def run():
            if (key, field) != ("find-tags", "tagIds"):
                raise weft.invalid("field", f"`{key}` has no dropdown `{field}`")
            return [weft.choice(t["_id"], t["tag"]) for t in tags(ctx)]

        return weft.guarded(run)


class Instant(exports.Instant):
    def transform(self, ctx, request):
        def run():
            raise weft.invalid("trigger", f"this connector has no instant trigger `{request.trigger}`")

        return weft.guarded(run)
