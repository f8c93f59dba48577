#!/usr/bin/env python3
"""examples/app/handler.py — a web handler that asks PostgreSQL whether a
feature is on for this user (flag_enabled) and reports the outcome to the
guard (flag_report), so a failing canary is rolled back by itself.

    DATABASE_URL='host=db dbname=shop user=shop' FLAG_KEY=TASK-801 \
        python3 examples/app/handler.py --port 8000
    curl -H 'X-User-Id: 42' http://127.0.0.1:8000/checkout

flag_enabled() is executable by every role and answers from a backend-local
cache (no query per call).  flag_report() needs shared_preload_libraries =
'pg_release' and GRANT release_reporter TO the application's role; without
them the handler still works and skips the report.
Uses Debian's python3-psycopg2.  tests/t/005_serve.pl runs this file.
"""
import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg2

FLAG_KEY = os.environ.get("FLAG_KEY", "TASK-801")


def connect():
    conn = psycopg2.connect(os.environ.get("DATABASE_URL", ""))
    conn.autocommit = True
    return conn


class Checkout(BaseHTTPRequestHandler):
    conn = None

    def do_GET(self):
        if self.path != "/checkout":
            self.send_error(404)
            return
        user_id = self.headers.get("X-User-Id", "anonymous")
        with self.conn.cursor() as cur:
            # the same user always gets the same answer during a canary
            cur.execute("SELECT flag_enabled(%s, %s::text)", (FLAG_KEY, user_id))
            one_click = cur.fetchone()[0]
        try:
            page = {"flag": FLAG_KEY, "user": user_id, "on": one_click,
                    "checkout": "one-click" if one_click else "classic"}
            ok = True
        except Exception:  # what the real page would do if rendering failed
            page, ok = {"error": "checkout failed"}, False
        if one_click:
            self.report(ok)
        body = (json.dumps(page) + "\n").encode()
        self.send_response(200 if ok else 500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def report(self, ok):
        """Tell the guard how the new code path did (needs preloading)."""
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT flag_report(%s, %s)", (FLAG_KEY, ok))
        except psycopg2.Error:
            pass

    def log_message(self, fmt, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    Checkout.conn = connect()
    HTTPServer(("127.0.0.1", args.port), Checkout).serve_forever()


if __name__ == "__main__":
    main()
