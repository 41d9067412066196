"""An MCP client for weft's tests: the official Python SDK (`mcp`, pinned in
requirements.txt), not one of ours. It connects over Streamable HTTP
(--url, --key) or stdio (-- COMMAND ARGS...), initializes, runs the steps
it is given and prints what the server answered as one JSON object:

    {"server": {"name", "version"}, "protocolVersion": ..., "results": [...]}

A step is {"op": "list"} (the tools, as the client parsed them),
{"op": "call", "name": ..., "arguments": {...}} (isError, structuredContent,
text; or "error" when the server refused the call as a protocol error),
{"op": "resources"} (the resources) or {"op": "read", "uri": ...} (the
resource's mimeType and its text parsed as JSON, or "error"). A
connection the server refuses prints {"refused": "..."}.
"""

import argparse
import asyncio
import json
import os
import sys

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError


async def run_steps(session, steps):
    init = await session.initialize()
    results = []
    for step in steps:
        if step["op"] == "list":
            listed = await session.list_tools()
            results.append([t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in listed.tools])
        elif step["op"] == "call":
            try:
                r = await session.call_tool(step["name"], step.get("arguments", {}))
                text = " ".join(c.text for c in r.content if getattr(c, "type", "") == "text")
                results.append({"isError": bool(r.isError), "structuredContent": r.structuredContent, "text": text})
            except McpError as e:
                results.append({"error": e.error.message, "code": e.error.code})
        elif step["op"] == "resources":
            listed = await session.list_resources()
            results.append([r.model_dump(by_alias=True, exclude_none=True, mode="json") for r in listed.resources])
        elif step["op"] == "read":
            try:
                r = await session.read_resource(step["uri"])
                results.append({"mimeType": r.contents[0].mimeType, "json": json.loads(r.contents[0].text)})
            except McpError as e:
                results.append({"error": e.error.message, "code": e.error.code})
        else:
            raise SystemExit(f"unknown step {step['op']}")
    return {
        "server": {"name": init.serverInfo.name, "version": init.serverInfo.version},
        "protocolVersion": init.protocolVersion,
        "instructions": init.instructions,
        "results": results,
    }


async def over_http(url, key, steps):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                return await run_steps(session, steps)


async def over_stdio(command, steps):
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            return await run_steps(session, steps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--key")
    parser.add_argument("--steps", required=True, help="the steps, as JSON")
    parser.add_argument("command", nargs="*", help="after --: the stdio server to start")
    args = parser.parse_args()
    steps = json.loads(args.steps)
    try:
        if args.url:
            out = asyncio.run(asyncio.wait_for(over_http(args.url, args.key, steps), 120))
        else:
            out = asyncio.run(asyncio.wait_for(over_stdio(args.command, steps), 120))
    except BaseException as e:  # the SDK wraps transport failures in exception groups
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        out = {"refused": describe(e)}
    json.dump(out, sys.stdout)


def describe(e):
    inner = getattr(e, "exceptions", None)
    if inner:
        return "; ".join(describe(x) for x in inner)
    return f"{type(e).__name__}: {e}"


if __name__ == "__main__":
    main()
