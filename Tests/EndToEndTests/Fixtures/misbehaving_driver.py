#!/usr/bin/env python3
"""A driver that misbehaves on purpose, for Firmament's robustness tests.

It is the reference filecloud driver, except that the setting "misbehave", such as
"deploy:db=crash", makes it misbehave when that method is called for that app:
crash (exit mid-request), garbage (a line that is not JSON), wrongShape (valid JSON, wrong
result), unknownId (answers another id), hang (never answers; logs the request's id to hanging.log), flood (a line of 9 MiB),
noread (answers, then never reads stdin again), echo (puts every secret it was given into its
deploy answer and on stderr), echoError (fails with the secrets in the message), deep (a
vmDetailsData nested 70 levels), badAddress (an address with a terminal escape sequence).
"""
import json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "drivers"))
import filecloud  # noqa: E402


def app_of(params):
    try:
        actions = params["driverRequest"]["actions"]
        app = next(a for a in actions if a["type"] == "deployApp")
        return app["actionParams"]["appName"]
    except (KeyError, StopIteration, TypeError):
        return params.get("appName", "")


def secrets_of(request):
    """Every value the driver was given that came from the environment: the token setting, and
    each attribute value of a deploy."""
    found = [v for v in filecloud.SETTINGS.values() if isinstance(v, str) and v.startswith("token-")]
    try:
        for action in request["params"]["driverRequest"]["actions"]:
            for attr in action["actionParams"]["appResource"]["attributes"]:
                found.append(attr["attributeValue"])
            for attr in action["actionParams"]["deployment"]["attributes"]:
                found.append(attr["attributeValue"])
    except (KeyError, TypeError):
        pass
    return [s for s in found if s]


def misbehave_result(how, request, response):
    result = response["result"]["driverResponse"]["actionResults"][0]
    if how == "echo":
        secrets = secrets_of(request)
        joined = " ".join(secrets)
        result["deployedAppAttributes"] += [{"attributeName": "Echo%d" % i, "attributeValue": s} for i, s in enumerate(secrets)]
        # cp-core types deployedAppAdditionalData as a dict: shells put booleans and numbers in it.
        result["deployedAppAdditionalData"] = {"echo": joined, "flag": True, "cores": 4}
        result["vmDetailsData"]["vmInstanceData"].append({"key": "echo", "value": joined, "hidden": False})
        result["vmDetailsData"]["errorMessage"] = "echo " + joined
        print("misbehaving: my secrets are " + joined, file=sys.stderr, flush=True)
    elif how == "deep":
        deep = "bottom"
        for _ in range(70):
            deep = [deep]
        result["vmDetailsData"]["vmInstanceData"].append({"key": "deep", "value": deep, "hidden": False})
    elif how == "badAddress":
        result["deployedAppAddress"] = "\x1b[2J10.0.0.9"
        print("misbehaving: \x1b]0;retitled\x07 terminal", file=sys.stderr, flush=True)
    return response


def main():
    with open("argv.txt", "w") as f:
        f.write(json.dumps(sys.argv))
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
            # Says which request it holds, so that a test can wait for it.
            with open("hanging.log", "a") as f:
                f.write("%s\n" % request["id"])
            continue
        elif how == "flood":
            sys.stdout.write("x" * (9 << 20))
        elif how == "echoError":
            message = "refused: " + " ".join(secrets_of(request))
            print("misbehaving: " + message, file=sys.stderr, flush=True)
            sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": message}}) + "\n")
        else:
            response = filecloud.handle(request)
            if response is not None and how in ("echo", "deep", "badAddress") and "result" in response:
                response = misbehave_result(how, request, response)
            if response is not None:
                sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
        if how == "noread":
            time.sleep(3600)


if __name__ == "__main__":
    main()
