#!/usr/bin/env python3
"""GET /api/schema/: the OpenAPI 3.1 document of docs/openapi.json, served
without authentication; its paths and methods are exactly the router's
(fcgi/api/routes.c) and the README endpoint table's, both ways; it passes
a real OpenAPI 3.1 validator (@seriousme/openapi-schema-validator, from
tests/schema/package.json: quickstart.sh installs it with npm ci); every
operation lists its answers and errors and declares its path parameters."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_SRCDIR, Server, eq, run_tests, scratch_dir  # noqa: E402

S = None
VALIDATOR = os.environ.get("OPENAPI_VALIDATOR") or os.path.join(
    TOP_SRCDIR, "tests", "schema", "node_modules", ".bin", "validate-api")
METHODS = ("get", "post", "put", "patch", "delete")


def setup_module():
    global S
    S = Server().start()


def teardown_module():
    S.stop()


def served():
    r = S.get("/api/schema/")
    eq((r.status, r.header("Content-Type")), (200, "application/json; charset=utf-8"),
       "GET /api/schema/ without credentials")
    return r


def norm(path):
    """A path with every template as {}: /api/lists/{id}/ -> /api/lists/{}/."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def router_pairs():
    with open(os.path.join(TOP_SRCDIR, "fcgi", "api", "routes.c")) as f:
        src = f.read()
    body = src[src.index("api_routes[] = {"):]
    body = body[:body.index("};")]
    out = set()
    for methods, path in re.findall(r'\{\s*(M_[A-Z_ |]+?),\s*"([^"]*)",', body):
        if path.startswith("/api/"):
            for m in methods.split("|"):
                out.add((m.strip()[2:], norm(path)))
    assert len(out) > 20, out
    return out


def schema_pairs(doc):
    return set((m.upper(), norm(p)) for p, item in doc["paths"].items()
               for m in item if m in METHODS)


def test_serves_the_document_of_docs_openapi_json():
    r = served()
    with open(os.path.join(TOP_SRCDIR, "docs", "openapi.json"), "rb") as f:
        eq(r.body, f.read(), "the body is docs/openapi.json as it is")
    doc = r.json
    assert re.fullmatch(r"3\.1\.\d+", doc["openapi"]), doc["openapi"]
    eq(S.get("/api/schema/", token="not-a-token").status, 200,
       "credentials are not even looked at")


def test_paths_and_methods_are_the_routers_both_ways():
    doc = served().json
    router, schema = router_pairs(), schema_pairs(doc)
    undocumented = sorted(router - schema)
    unrouted = sorted(schema - router)
    eq(undocumented, [], "routes of fcgi/api/routes.c missing from docs/openapi.json")
    eq(unrouted, [], "paths of docs/openapi.json that fcgi/api/routes.c does not route")


def test_readme_endpoint_table_agrees():
    with open(os.path.join(TOP_SRCDIR, "README.md")) as f:
        readme = f.read()
    sec = readme[readme.index("\n## API reference\n"):]
    sec = sec[:sec.index("\n## ", 5)]
    table = set((m, norm(p)) for m, p in re.findall(r"^\| ([A-Z]+) \| `(/api/[^`]*)` \|", sec, re.M))
    eq(sorted(table ^ schema_pairs(served().json)), [],
       "README API reference vs docs/openapi.json (either side only)")


def test_the_document_passes_an_openapi_3_1_validator():
    assert os.path.exists(VALIDATOR), (
        "no OpenAPI validator at %s: run 'npm ci' in tests/schema (quickstart.sh test does)"
        % VALIDATOR)
    d = scratch_dir("schema-")
    path = os.path.join(d, "openapi.json")
    with open(path, "wb") as f:
        f.write(served().body)
    p = subprocess.run([VALIDATOR, path], capture_output=True, text=True, timeout=60)
    eq((p.returncode, json.loads(p.stdout).get("valid")), (0, True), "validate-api: " + p.stdout)
    # the validator does refuse a broken document
    doc = json.loads(open(path).read())
    doc["paths"]["/api/lists/"]["get"]["responses"] = "none"
    with open(path, "w") as f:
        json.dump(doc, f)
    p = subprocess.run([VALIDATOR, path], capture_output=True, text=True, timeout=60)
    eq(json.loads(p.stdout).get("valid"), False, "a broken document is refused")


def resolve(doc, obj):
    while "$ref" in obj:
        ref = obj["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
        obj = node
    return obj


def test_every_operation_documents_answers_errors_and_parameters():
    doc = served().json
    for path, item in doc["paths"].items():
        for m, o in item.items():
            if m not in METHODS:
                continue
            what = "%s %s" % (m.upper(), path)
            codes = set(o["responses"])
            assert any(c.startswith("2") for c in codes), what + ": no success answer"
            assert any(c.startswith("4") for c in codes), what + ": no error answer"
            for code, resp in o["responses"].items():
                assert resolve(doc, resp).get("description"), "%s %s: description" % (what, code)
            if {"bearer": []} in o.get("security", []):
                assert "401" in codes, what + ": a login route answers 401"
            params = [resolve(doc, p) for p in o.get("parameters", [])]
            eq(sorted(p["name"] for p in params if p["in"] == "path"),
               sorted(re.findall(r"\{([^}]*)\}", path)), what + ": path parameters")
            if m in ("post", "put", "patch") and "requestBody" in o:
                assert "400" in codes and "415" in codes, what + ": body errors"


if __name__ == "__main__":
    run_tests(globals())
