#!/usr/bin/env python3
"""Checks `kgforge export` files the way their consumers read them.

The consumers (LLaMA-Factory, NeMo Automodel) need torch, transformers and datasets, which
Debian 12 does not package; this applies the same acceptance rules, transcribed from
  LLaMA-Factory src/llamafactory/data/converter.py (SharegptDatasetConverter: tags at odd/even
    positions, an even number of turns), formatter.py (FunctionFormatter: the calls are the
    JSON inside <tool_call></tool_call> when present, the text before them the thought;
    ToolFormatter: `tools` is a JSON string), parser.py (dataset_info.json columns and tags);
  NeMo Automodel datasets/llm/xlam.py (_convert_tools_to_openai_spec: tools[i].parameters is a
    {param: {"type", "description"}} map; answers a JSON list of {"name", "arguments"}).
Usage: check_sft_exports.py DIR (holding tool_sharegpt.jsonl, tool_xlam.jsonl,
tool_hermes.jsonl, dataset_info.json). Exits 1 on the first record a consumer would refuse.
"""
import json
import os
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def check_sharegpt(d, info):
    entry = info.get("tool_sharegpt")
    if not entry or entry["formatting"] != "sharegpt" or entry["columns"]["messages"] != "conversations":
        fail("dataset_info.json has no sharegpt entry for tool_sharegpt.jsonl")
    odd, even = ("human", "observation"), ("gpt", "function_call")
    tool_call = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
    n = thoughts = parallel = 0
    for rec in lines(os.path.join(d, entry["file_name"])):
        conv = rec[entry["columns"]["messages"]]
        for i, m in enumerate(conv):
            if m["from"] not in (odd, even)[i % 2]:
                fail("%s: role %s at position %d" % (rec["id"], m["from"], i))
            if m["from"] == "function_call":
                match = tool_call.search(m["value"])
                body = match.group(1) if match else m["value"]
                thoughts += bool(match and m["value"][:match.start()])
                calls = json.loads(body)
                calls = calls if isinstance(calls, list) else [calls]
                for c in calls:
                    json.dumps(c["arguments"])  # FunctionCall(tc["name"], json.dumps(tc["arguments"]))
                    if not isinstance(c["arguments"], dict):
                        fail("%s: arguments are not an object" % rec["id"])
                if len(calls) > 1:
                    obs = conv[i + 1]["value"].split("\n</tool_response>\n<tool_response>\n")
                    if len(obs) != len(calls):
                        fail("%s: %d results for %d parallel calls" % (rec["id"], len(obs), len(calls)))
                    parallel += 1
        if len(conv) % 2 != 0:
            fail("%s: odd number of turns" % rec["id"])
        tools_col = entry["columns"].get("tools")
        if tools_col in rec:
            tools = json.loads(rec[tools_col])  # ToolFormatter: json.loads(content)
            if any(json.dumps(t, separators=(",", ":"), ensure_ascii=False) in rec.get("system", "")
                   for t in tools):
                fail("%s: a tool is both in `tools` and in the system prompt" % rec["id"])
        n += 1
    return "sharegpt: %d records accepted (%d with a thought before the calls, %d parallel)" % (
        n, thoughts, parallel)


def check_xlam(d):
    n = 0
    for rec in lines(os.path.join(d, "tool_xlam.jsonl")):
        if not isinstance(rec["id"], int):
            fail("xlam id %r is not an integer" % rec["id"])
        for tool in json.loads(rec["tools"]):
            params = tool.get("parameters")
            if not isinstance(params, dict) or not params:
                fail("%d: parameters of %s" % (rec["id"], tool.get("name")))
            for name, info in params.items():
                if not isinstance(info, dict) or not isinstance(info.get("type"), str):
                    fail("%d: parameter %s of %s is not {type, description}" % (rec["id"], name, tool["name"]))
        answers = json.loads(rec["answers"])
        if not answers or not all(isinstance(a.get("arguments"), dict) for a in answers):
            fail("%d: answers" % rec["id"])
        names = {t["name"] for t in json.loads(rec["tools"])}
        if any(a["name"] not in names for a in answers):
            fail("%d: an answer calls an unlisted tool" % rec["id"])
        n += 1
    if n == 0:
        fail("no xlam record")
    return "xlam: %d records accepted" % n


def check_hermes(d):
    n = 0
    for rec in lines(os.path.join(d, "tool_hermes.jsonl")):
        if "tools" in rec:
            fail("%s: hermes record has a tools field besides the system turn's <tools>" % rec["id"])
        system = rec["conversations"][0]
        if system["from"] != "system":
            fail("%s: first turn is not the system turn" % rec["id"])
        for m in rec["conversations"]:
            if m["from"] == "tool":
                for body in re.findall(r"<tool_response>\n(.*?)\n</tool_response>", m["value"], re.DOTALL):
                    if isinstance(json.loads(body)["content"], str):
                        fail("%s: tool_response content is a string, not JSON" % rec["id"])
        n += 1
    return "hermes: %d records accepted" % n


def main():
    d = sys.argv[1]
    info = json.load(open(os.path.join(d, "dataset_info.json")))
    for msg in (check_sharegpt(d, info), check_xlam(d), check_hermes(d)):
        print("ok: " + msg)


if __name__ == "__main__":
    main()
