#!/usr/bin/env python3
"""The reference filecloud driver, recording every request it receives in requests.jsonl, so
that tests can hand firm's own messages to Quali's libraries."""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "drivers"))
import filecloud  # noqa: E402

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    with open("requests.jsonl", "a") as f:
        f.write(json.dumps(request) + "\n")
    response = filecloud.handle(request)
    if response is not None:
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
