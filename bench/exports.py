"""Our streaming CSV exports against PostgreSQL's own COPY of the same query.

`measure_exports(database_url=...)` downloads, through the application's own URLs (test client,
DEBUG off, the body read to the end into a null sink), the trainee list CSV of every trainee and
the roster CSVs of the ROSTER_SESSIONS largest sessions, in CHILDREN child processes. Each
child warms up on a small export, measures the peak RSS growth of its first full export (Linux:
VmHWM reset through /proc/self/clear_refs, else ru_maxrss), then times WARM_RUNS more; the median
time counts. The SQL each export ran for its rows is captured and run again as
`COPY (that query) TO STDOUT WITH CSV` through psycopg2's copy_expert into a null sink.
export_vs_copy is the export's rows/s over COPY's rows/s (the same rows both ways).

    python -m bench.exports --database-url URL            # the figures, as bench.run prints them
    python -m bench.exports --child trainees|rosters ...  # one export (used by the above)

Export log rows written by the downloads are deleted afterwards.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROSTER_SESSIONS = 100  # rosters of the largest sessions: about 18,000 rows at either scale
CHILDREN = 2  # child processes per export: the peak memory of each one's first export counts
WARM_RUNS = 3  # then each times this many more exports; the median of all of them counts
RUNS = 3  # COPY runs (after one to warm the cache); the median counts


class NullSink:
    """A file-like object that only counts what is written."""

    def __init__(self):
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)


# --- in the child process ------------------------------------------------------------------


def _rss_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak():
    """Reset the peak RSS (VmHWM) to the current RSS (Linux >= 4.0); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _peak_growth_mb(run):
    import gc
    import resource

    gc.collect()
    if _reset_peak():
        before = _rss_kb("VmRSS")
        result = run()
        return result, (_rss_kb("VmHWM") - before) / 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run()
    return result, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def _main_select(captured, table):
    """The statement that read the export's rows: the longest SELECT from `table` that is not a count."""
    candidates = []
    for query in captured:
        sql = query["sql"]
        # Server-side cursors are logged with their DECLARE ... FOR prefix.
        sql = re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", sql, flags=re.S)
        # An export written by COPY (common/csv_copy.py) is logged as the COPY statement.
        sql = re.sub(r"^COPY \((.*)\) TO STDOUT.*$", r"\1", sql, flags=re.S)
        if sql.startswith("SELECT") and f'FROM "{table}"' in sql and "COUNT(" not in sql.upper():
            candidates.append(sql)
    assert candidates, f"no SELECT from {table} captured"
    return max(candidates, key=len)


def _download(client, url):
    """GET `url` and read the streamed body to the end; return (status, bytes, content type)."""
    response = client.get(url)
    sink = NullSink()
    if response.streaming:
        for chunk in response.streaming_content:
            sink.write(chunk)
    else:
        sink.write(response.content)
    response.close()
    return response.status_code, sink.bytes, response.get("Content-Type", "")


def trainee_export_url():
    """The trainee list's CSV export URL (owned by trainees/), every trainee (no filter)."""
    from django.urls import NoReverseMatch, reverse

    for name, query in (("trainees:export-csv", ""), ("trainees:export", "?format=csv"), ("trainees:list-csv", "")):
        try:
            return reverse(name) + query
        except NoReverseMatch:
            continue
    return None


def child(kind):
    """One export in this process: print a JSON line with its figures."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.testing import verify_second_factor
    from courses.models import CourseSession

    admin = get_user_model().objects.get(username="bench.admin.0001")
    client = Client()
    client.force_login(admin)
    verify_second_factor(client, admin)  # administrators sign in with a code too
    if kind == "trainees":
        url = trainee_export_url()
        urls, table = [url], "trainees_trainee"
        warm = [url + ("&" if "?" in url else "?") + "nationality=AR&status=inactive"]
    else:
        sessions = list(
            CourseSession.objects.annotate(n=Count("enrollments"))
            .order_by("-n", "pk")
            .values_list("pk", flat=True)[:ROSTER_SESSIONS]
        )
        urls = [reverse("courses:roster-csv", args=[pk]) for pk in sessions]
        table = "courses_enrollment"
        warm = [reverse("courses:roster-csv", args=[sessions[-1]])]
    for url in warm:  # imports, templates, plans: not part of what is measured
        _download(client, url)

    def run():
        total, statements = 0, []
        started = time.perf_counter()
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                status, size, content_type = _download(client, url)
            assert status == 200 and content_type.startswith("text/csv"), (url, status, content_type)
            total += size
            statements.append(_main_select(captured.captured_queries, table))
        return time.perf_counter() - started, total, statements

    # The first full export measures memory (a later one could reuse what the first left allocated).
    (seconds, size, statements), growth = _peak_growth_mb(run)
    timings = [run()[0] for _ in range(WARM_RUNS)]
    print(
        json.dumps(
            {
                "first_seconds": seconds,
                "seconds": timings,
                "bytes": size,
                "rss_growth_mb": round(growth, 1),
                "sql": statements,
            }
        )
    )


# --- in the parent -------------------------------------------------------------------------


def _copy(sql_statements, runs=RUNS):
    """Median seconds of COPY (each statement) TO STDOUT WITH CSV into a null sink; rows and bytes."""
    from django.db import connection

    timings = []
    for _ in range(runs + 1):  # the first run warms the cache and is not counted
        rows, size = 0, 0
        started = time.perf_counter()
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg2's own cursor: copy_expert
            for sql in sql_statements:
                sink = NullSink()
                raw.copy_expert(f"COPY ({sql}) TO STDOUT WITH CSV", sink)
                rows += raw.rowcount
                size += sink.bytes
        timings.append(time.perf_counter() - started)
    return statistics.median(timings[1:]), rows, size


def _run_child(kind, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.exports", "--child", kind, "--database-url", database_url],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench.exports --child {kind} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def measure_export(kind, database_url, out=print, children=CHILDREN):
    """Run one export in `children` child processes and COPY the same queries; return figures."""
    children = [_run_child(kind, database_url) for _ in range(children)]
    seconds = statistics.median(timing for child in children for timing in child["seconds"])
    copy_seconds, rows, copy_bytes = _copy(children[0]["sql"])
    figures = {
        "rows": rows,
        "export_s": round(seconds, 3),
        "first_export_s": round(max(child["first_seconds"] for child in children), 3),
        "copy_s": round(copy_seconds, 3),
        "export_rows_per_s": round(rows / seconds),
        "copy_rows_per_s": round(rows / copy_seconds),
        "ratio": round(copy_seconds / seconds, 2),
        "export_mb": round(children[0]["bytes"] / 1e6, 1),
        "copy_mb": round(copy_bytes / 1e6, 1),
        "rss_growth_mb": max(child["rss_growth_mb"] for child in children),
        "queries": len(children[0]["sql"]),
    }
    out(
        f"  {kind:<9} {rows:>9,} rows  export {figures['export_rows_per_s']:>9,} rows/s  "
        f"COPY {figures['copy_rows_per_s']:>10,} rows/s  ratio {figures['ratio']:>5}  "
        f"peak RSS growth {figures['rss_growth_mb']} MB"
    )
    return figures


def measure_exports(*, database_url, out=print):
    """The trainee list export (every trainee) and the rosters of the largest sessions."""
    from accounts.models import ExportLog

    last_log = ExportLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    detail = {}
    try:
        if trainee_export_url() is None:
            out("  trainees: no trainee list CSV export URL yet: not measured")
        else:
            detail["trainees"] = measure_export("trainees", database_url, out=out)
        detail["rosters"] = measure_export("rosters", database_url, out=out)
    finally:
        ExportLog.objects.filter(pk__gt=last_log).delete()
    return {
        # The list export, over every row; a roster is at most a class (~200 rows), whose download
        # is dominated by its fixed cost (sign-in, session, export log): reported beside it.
        "export_vs_copy": detail["trainees"]["ratio"] if "trainees" in detail else None,
        "export_vs_copy_roster": detail["rosters"]["ratio"],
        "export_rss_mb": {kind: figures["rss_growth_mb"] for kind, figures in detail.items()},
        "detail": detail,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--child", choices=["trainees", "rosters"])
    args = parser.parse_args()
    from bench.run import default_database_url, setup_django

    setup_django(args.database_url or default_database_url("small"))
    if args.child:
        child(args.child)
    else:
        print(json.dumps(measure_exports(database_url=os.environ["DATABASE_URL"])))


if __name__ == "__main__":
    main()
