#!/usr/bin/env python3
"""A driver that misbehaves on purpose, for Firmament's robustness tests.

It is the reference filecloud driver, except that the setting "misbehave", such as
"deploy:db=crash", makes it misbehave when that method is called for that app:
crash (exit mid-request), garbage (a line that is not JSON), wrongShape (valid JSON, wrong
result), unknownId (answers another id), hang (never answers) or flood (a line of 9 MiB).
"""
import json, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "drivers"))
import filecloud  # noqa: E402


def app_of(params):
    try:
        actions = params["driverRequest"]["actions"]
        app = next(a for a in actions if a["type"] == "deployApp")
        return app["actionParams"]["appName"]
    except (KeyError, StopIteration, TypeError):
        return (params.get("deployedApp") or {}).get("appName", "")


def main():
    rules = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("method") == "$/cancel":
            with open("cancels.log", "a") as f:
                f.write("%s\n" % request["params"]["id"])
            continue
        if request.get("method") == "initialize":
            for rule in filter(None, request["params"].get("settings", {}).get("misbehave", "").split(",")):
                key, how = rule.split("=")
                rules[key] = how
        how = rules.get("%s:%s" % (request.get("method"), app_of(request.get("params", {}))))
        if how == "crash":
            print("misbehaving: crashing on purpose", file=sys.stderr, flush=True)
            os._exit(3)
        if how == "garbage":
            sys.stdout.write("this is not JSON\n")
        elif how == "wrongShape":
            sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {"unexpected": True}}) + "\n")
        elif how == "unknownId":
            sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request["id"] + 100000, "result": None}) + "\n")
        elif how == "hang":
            continue
        elif how == "flood":
            sys.stdout.write("x" * (9 << 20))
        else:
            response = filecloud.handle(request)
            if response is not None:
                sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
