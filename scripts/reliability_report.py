"""Writes RELIABILITY.md (to stdout) from the records the reliability checks leave.

Usage: python3 reliability_report.py RECORDS_DIR FUZZ_DIR
"""
import datetime
import json
import os
import platform
import subprocess
import sys


def load(folder, name):
    path = os.path.join(folder, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def main(records, fuzz_dir):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    out = []
    w = out.append
    w("# Reliability")
    w("")
    w("Written by `SOAK_SECS=%s FUZZ_SECONDS=%s bash scripts/reliability.sh` on %s at commit"
      " `%s` (%s, %d cores)."
      % (os.environ.get("SOAK_SECS", "?"), os.environ.get("FUZZ_SECONDS", "?"),
         datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), commit,
         platform.platform(), os.cpu_count()))
    w("The same checks run in `.ci/run` in a bounded form (soak 10 s; the fuzz targets replay their corpora).")
    w("")
    w("## What was lost")
    w("")
    rows = []

    def row(check, held, lost_what):
        rows.append("| %s | %s | %s |" % (check, held, lost_what))

    soak = load(records, "soak")
    if soak:
        row("Soak: %d connections, %d s of mixed reads and writes on the photoblog"
            % (soak["connections"], soak["seconds"]),
            "%d requests, %d errors, %d writes acknowledged; RSS %.1f → %.1f MB (%+.1f%%)"
            % (soak["requests"], soak["errors"], soak["writes_acknowledged"],
               soak["rss_kb_at_third"] / 1024, soak["rss_kb_at_end"] / 1024,
               soak["rss_growth"] * 100),
            "%d acknowledged writes" % soak["writes_lost"])
    s = load(records, "sigterm_in_flight")
    if s:
        row("SIGTERM with %d requests in flight" % s["in_flight"],
            "%d completed, exit code %s" % (s["completed"], s["exit_code"]),
            "%d requests" % (s["in_flight"] - s["completed"]))
    p = load(records, "panics")
    if p:
        row("%d panicking requests beside %d normal ones" % (p["panics"], p["parallel_requests"]),
            "%d answered 500; %d errors in the normal stream"
            % (p["answered_500"], p["parallel_errors"]),
            "%d workers, %d normal requests" % (0, p["parallel_errors"]))
    d = load(records, "database_away")
    if d:
        row("PostgreSQL cut off, then back",
            "503 with Retry-After while away; recovered without a restart",
            "%d albums" % d["albums_lost"])
    r = load(records, "redis_killed")
    if r:
        row("Redis killed mid-run, then restarted",
            "%d requests, %d errors; cache hits again after its return"
            % (r["requests"], r["errors"]),
            "%d requests" % r["errors"])
    sl = load(records, "slow_clients")
    if sl:
        row("%d clients dribbling their headers" % sl["slow_clients"],
            "%d got 408; %d other requests served in %d ms meanwhile"
            % (sl["answered_408"], sl["others_served"], sl["others_took_ms"]),
            "nothing")
    k = load(records, "kill_9_uploads")
    if k:
        row("`kill -9` during %d uploads" % k["uploads_sent"],
            "%d acknowledged; after restart %d rows, every file with its row, SQLite integrity %s"
            % (k["acknowledged"], k["rows_after"], k["integrity_check"]),
            "%d acknowledged uploads, %d orphan files" % (k["acknowledged_lost"],
                                                         k["orphan_files"]))
    b = load(records, "bad_input")
    if b:
        ok = sum(1 for c in b["cases"] if c["ok"])
        row("Bad-input catalogue: %d hostile requests over a socket" % len(b["cases"]),
            "%d answered as expected, no 5xx, both servers kept serving" % ok,
            "no row, no file, no user")
    w("| check | what held | lost |")
    w("|---|---|---|")
    out.extend(rows)
    w("")
    fuzz = load(fuzz_dir, "summary") or []
    if fuzz:
        w("## Fuzzing (no crash)")
        w("")
        w("| target | what it reads | seconds | runs | corpus after the run |")
        w("|---|---|---:|---:|---:|")
        for t in fuzz:
            w("| `%s` | %s | %s | %s | %s |" % (t["target"], t["what"], t["seconds"], t["runs"],
                                               t["corpus"]))
        w("")
    holes = sorted(f[:-5] for f in os.listdir(records)
                   if f.startswith("hole_") and f.endswith(".json")) if os.path.isdir(records) else []
    if holes:
        w("## Holes a review found, tried again")
        w("")
        w("Each row is written by the test that proves the hole closed, with what it measured.")
        w("")
        w("| hole | what was tried | what it got |")
        w("|---|---|---|")
        for h in holes:
            rec = load(records, h)
            w("| %s | %s | %s |" % (h[len("hole_"):].replace("_", " "), rec["tried"], rec["got"]))
        w("")
    if b:
        w("## The bad-input catalogue")
        w("")
        w("| target | request | expected | got |")
        w("|---|---|---:|---:|")
        for c in b["cases"]:
            w("| %s | %s | %d | %d%s |" % (c["target"], c["case"], c["expected"], c["status"],
                                          "" if c["ok"] else " ✗"))
        w("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
