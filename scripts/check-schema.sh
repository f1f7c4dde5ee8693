#!/usr/bin/env bash
# Checks the scenario JSON Schema with a standard validator, Python's jsonschema (from PyPI,
# installed in a venv under .build/venv-schema):
# - docs/scenario.schema.json is what `MeshSim schema` prints, and a valid draft 2020-12 schema;
# - every scenario in Scenarios/ and every complete scenario in README.md and docs/*.md is valid;
# - every file in Tests/Malformed/ gets the verdict Tests/Malformed/schema-expectations.txt
#   gives it (invalid-json, reject, or accept: refused only by MeshSim's semantic checks).
# Fails (non-zero) on any difference. Skips (exit 0, saying so) only when jsonschema is not
# installed yet and the package index cannot be reached.
# Usage: scripts/check-schema.sh [MESHSIM_BINARY]   (default: .build/release/MeshSim)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/MeshSim}
[ -x "$bin" ] || { echo "check-schema: $bin not built (swift build -c release)" >&2; exit 1; }

venv=.build/venv-schema
py="$venv/bin/python"
if ! { [ -x "$py" ] && "$py" -c 'import jsonschema' 2>/dev/null; }; then
  echo "check-schema: installing jsonschema into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" || { echo "check-schema: cannot create a Python venv (python3 -m venv; Debian: apt-get install python3-venv)" >&2; exit 1; }
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --retries 2 --timeout 20 jsonschema; then
    index=${PIP_INDEX_URL:-https://pypi.org/simple/}
    if ! "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=20)' "$index" 2>/dev/null; then
      echo "check-schema: SKIPPED: the package index ($index) cannot be reached, so jsonschema cannot be installed; the scenario schema was NOT checked" >&2
      rm -rf "$venv"
      exit 0
    fi
    echo "check-schema: pip install jsonschema failed although $index can be reached" >&2
    exit 1
  fi
fi

generated=$(mktemp)
trap 'rm -f "$generated"' EXIT
"$bin" schema > "$generated"
if ! cmp -s "$generated" docs/scenario.schema.json; then
  echo "check-schema: docs/scenario.schema.json differs from \`$bin schema\`; regenerate it: swift run MeshSim schema > docs/scenario.schema.json" >&2
  diff -u docs/scenario.schema.json "$generated" | head -40 >&2 || true
  exit 1
fi

"$py" - docs/scenario.schema.json Tests/Malformed/schema-expectations.txt <<'PY'
import importlib.metadata, json, pathlib, re, sys
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

schema_path, expectations_path = sys.argv[1:3]
failures = []

def strict_load(path):
    """The file as MeshSim reads it: UTF-8 (a leading byte order mark ignored), RFC 8259 JSON,
    no duplicate keys, no NaN or Infinity. Raises ValueError (or RecursionError) otherwise."""
    data = pathlib.Path(path).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    def members(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(pairs)
    def constant(name):
        raise ValueError(name + " is not JSON")
    return json.loads(data.decode("utf-8"), object_pairs_hook=members, parse_constant=constant)

schema = strict_load(schema_path)
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
print(f"check-schema: {schema_path} is a valid draft 2020-12 schema (jsonschema {importlib.metadata.version('jsonschema')})")

def verdict(path):
    """('invalid-json' | 'reject' | 'accept', detail)."""
    try:
        value = strict_load(path)
    except (ValueError, RecursionError) as e:
        message = str(e).splitlines()[0][:100] if str(e) else ""
        return "invalid-json", f"{type(e).__name__}: {message}"
    error = best_match(validator.iter_errors(value))
    if error is None:
        return "accept", ""
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    return "reject", f"{where}: {error.message[:160]}"

# Scenarios/: every one valid.
scenarios = sorted(pathlib.Path("Scenarios").rglob("*.json"))
for path in scenarios:
    v, detail = verdict(path)
    if v != "accept":
        failures.append(f"{path}: a scenario the schema should accept: {v} {detail}")
print(f"check-schema: {len(scenarios)} scenarios in Scenarios/ checked")

# Complete scenarios in the documentation (fenced `json` blocks with name, duration and peers),
# as DocumentationExampleTests classifies them.
docs = [pathlib.Path("README.md")] + sorted(pathlib.Path("docs").glob("*.md"))
examples = 0
for doc in docs:
    if not doc.exists():
        continue
    for m in re.finditer(r"^[ \t]*```json[ \t]*\n(.*?)^[ \t]*```[ \t]*$", doc.read_text(encoding="utf-8"), re.S | re.M):
        try:
            value = json.loads(m.group(1))
        except ValueError:
            continue  # JSON Lines or a fragment: not a scenario
        if not (isinstance(value, dict) and {"name", "duration", "peers"} <= value.keys()):
            continue
        examples += 1
        line = doc.read_text(encoding="utf-8")[: m.start()].count("\n") + 1
        error = best_match(validator.iter_errors(value))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            failures.append(f"{doc}:{line}: a documented scenario the schema should accept: {where}: {error.message[:160]}")
print(f"check-schema: {examples} complete scenarios in README.md and docs/*.md checked")

# Tests/Malformed/: each file's verdict as listed.
expected = {}
for n, raw in enumerate(pathlib.Path(expectations_path).read_text(encoding="utf-8").splitlines(), 1):
    line = raw.split("#", 1)[0].strip()
    if not line:
        continue
    parts = line.split()
    if len(parts) != 2 or parts[0] not in ("invalid-json", "reject", "accept"):
        failures.append(f"{expectations_path}:{n}: expected 'VERDICT FILE' with VERDICT invalid-json, reject or accept")
        continue
    if parts[1] in expected:
        failures.append(f"{expectations_path}:{n}: {parts[1]} is listed twice")
    expected[parts[1]] = parts[0]
corpus = sorted(p.name for p in pathlib.Path("Tests/Malformed").glob("*.json"))
for name in sorted(set(expected) - set(corpus)):
    failures.append(f"{expectations_path}: {name} is listed but not in Tests/Malformed/")
for name in corpus:
    v, detail = verdict(pathlib.Path("Tests/Malformed") / name)
    if name not in expected:
        failures.append(f"Tests/Malformed/{name}: not listed in {expectations_path} (the schema says {v}{': ' + detail if detail else ''})")
    elif v != expected[name]:
        failures.append(f"Tests/Malformed/{name}: the schema says {v}{': ' + detail if detail else ''}; {expectations_path} says {expected[name]}")
    else:
        print(f"check-schema: ok {v:12} Tests/Malformed/{name}{'  (' + detail + ')' if detail else ''}")

for f in failures:
    print("check-schema: " + f, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"check-schema: ok ({len(scenarios)} scenarios, {examples} documented scenarios, {len(corpus)} malformed files)")
PY
