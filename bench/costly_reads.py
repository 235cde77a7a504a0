#!/usr/bin/env python3
"""The reads a review found costly, timed against a running portal (issue: reads that cost
what they return). Prints one line per read: its answer (or the error code) and the time.

Prepare and run (release build, a fresh data folder, about 300,000 synthetic ratings):

    cargo build --release
    export PORTAL_DATA_DIR=/tmp/costly
    target/release/portal seed --demo
    target/release/portal seed --synthetic --ratings 300000 --dossiers 300000 --complaints 20000
    target/release/portal serve --addr 127.0.0.1:18090 &
    python3 bench/costly_reads.py http://127.0.0.1:18090 "$PORTAL_DATA_DIR/portal.db"

Only the Python standard library; it talks to the given address alone.
"""
import json
import sqlite3
import sys
import threading
import time
import urllib.request


def post(url, query, token=None):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(url + "/graphql", data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        out = json.loads(r.read())
    return out, time.perf_counter() - t0


def show(name, out, secs):
    if out.get("errors"):
        what = "refused: " + out["errors"][0].get("extensions", {}).get("code", "?")
    else:
        what = "ok"
    print(f"{name:<58} {what:<28} {secs * 1000:9.1f} ms")


def main():
    url = sys.argv[1].rstrip("/")
    db = sys.argv[2] if len(sys.argv) > 2 else None
    login, _ = post(url, 'mutation { login(input: {login: "snv.danhgia", password: "gopy-evaluator-demo"}) { accessToken } }')
    token = login["data"]["login"]["accessToken"]
    code = None
    if db:
        code = sqlite3.connect(db).execute("SELECT code FROM dossiers ORDER BY code LIMIT 1").fetchone()[0]

    nine = " ".join(f'a{i}: satisfaction(filter: {{from: "2026-01-01"}}) {{ ratings }}' for i in range(9))
    # The nine aliases, with a dossier looked up by code while they run.
    side = {}
    def lookup():
        time.sleep(0.05)
        if code:
            side["out"], side["secs"] = post(url, f'{{ dossier(code: "{code}") {{ code status }} }}')
    t = threading.Thread(target=lookup)
    t.start()
    out, secs = post(url, "{ " + nine + " }")
    t.join()
    show("9 x satisfaction(from 2026-01-01) { ratings }", out, secs)
    if "out" in side:
        show("  dossier(code) meanwhile", side["out"], side["secs"])
    if not out.get("errors"):
        print("  ratings counted:", out["data"]["a0"]["ratings"])

    for name, q, tok in [
        ("searchProcedures(query: \"\", first: 50) { totalCount }",
         '{ searchProcedures(query: "", first: 50) { totalCount } }', None),
        ("searchUnits(query: \"\", first: 100) { totalCount }",
         '{ searchUnits(query: "", first: 100) { totalCount } }', None),
        ("20 x dossiers(first: 0) { stats { total } }",
         "{ " + " ".join(f"d{i}: dossiers(first: 0) {{ stats {{ total }} }}" for i in range(20)) + " }", token),
        ("1 x dossiers(first: 0) { stats { total } }",
         "{ dossiers(first: 0) { stats { total } } }", token),
        ("10 x __schema { types { fields { type { name } } } }",
         "{ " + " ".join(f"s{i}: __schema {{ types {{ fields {{ type {{ name }} }} }} }}" for i in range(10)) + " }", None),
    ]:
        out, secs = post(url, q, tok)
        show(name, out, secs)


if __name__ == "__main__":
    main()
