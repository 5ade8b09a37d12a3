"""Validates blueprints against firm's blueprint schema with Python's jsonschema (Draft 2020-12).

    check_schema.py SCHEMA FILE_OR_FOLDER...

The schema is checked first (Draft202012Validator.check_schema). For each blueprint (each
*.json file of a folder), one line: `ok PATH` or `refused PATH: JSON-PATH: MESSAGE` for its
first error. Exit 0 when every file ran (refused or not), 2 on a usage error or a bad schema.
A file that is not JSON is reported as `unreadable PATH: …`.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator


def files(arguments):
    for argument in arguments:
        if os.path.isdir(argument):
            for name in sorted(os.listdir(argument)):
                if name.endswith(".json"):
                    yield os.path.join(argument, name)
        else:
            yield argument


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for path in files(sys.argv[2:]):
        try:
            with open(path, encoding="utf-8") as f:
                blueprint = json.load(f)
        except (OSError, ValueError) as error:
            print(f"unreadable {path}: {error}")
            continue
        errors = sorted(validator.iter_errors(blueprint), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path) or "(top)"
            print(f"refused {path}: {where}: {first.message}")
        else:
            print(f"ok {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
