#!/usr/bin/env python3
"""Condenses the collection's debug log into the HTTP exchanges of each module run.

Usage: digest.py hv_vspone_block_modules.log > requests.txt
Each module run (one id in the log) becomes a block: the module that ran, then one line per
request (method, URL, body) followed by the answer's first characters or the error it got.
"""
import re
import sys

LINE = re.compile(r"^\S+ \S+ - (\w+) - ([0-9a-f-]{36}) - (\S+) - (\S+) - \d+ - (.*)$")
runs = {}
order = []
for raw in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = LINE.match(raw.rstrip("\n"))
    if not m:
        continue
    level, run, source, func, msg = m.groups()
    if run not in runs:
        runs[run] = {"module": None, "lines": []}
        order.append(run)
    r = runs[run]
    if r["module"] is None and source.startswith("hv_") and source.endswith(".py"):
        r["module"] = source[:-3]
    if func == "_make_vsp_request" and msg.startswith("method = "):
        r["lines"].append(">> " + msg[len("method = "):].replace(" URL = https://", " https://"))
    elif func == "_make_vsp_request" and msg.startswith("data = "):
        r["lines"].append("   body " + msg[len("data = "):])
    elif func == "_make_request" and msg.startswith("url = "):
        r["lines"].append(">> (session) " + msg[len("url = "):])
    elif func == "_load_response":
        r["lines"].append("   <- " + msg[:400])
    elif "error_resp" in msg:
        r["lines"].append("   <- ERROR " + msg.split("error_resp", 2)[-1][:400])
    elif level == "ERROR" and "HTTPError" in msg:
        r["lines"].append("   <- " + msg.split(" - ")[-1])
for run in order:
    r = runs[run]
    print(f"=== {r['module'] or '?'} ({run})")
    for line in r["lines"]:
        print(line)
