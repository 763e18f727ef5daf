"""Measure the application against the database's own limits on a generated database.

    python -m bench.run --scale small|national [--database-url URL] [--only NAME ...]
        [--load-seconds 60] [--workers N] [--worker-class sync|gthread] [--threads N]

Prints a table and, as its last line, one JSON object:
- export_vs_copy: throughput of our trainee list CSV export over all its rows divided by that of
  PostgreSQL's COPY (the same query) TO STDOUT WITH CSV (goal >= 0.5); export_vs_copy_roster:
  the same for the roster CSV (100 downloads of the largest classes); export_rss_mb: each
  export process's peak memory growth (flat as rows grow);
- sweep_vs_sql: the reminder sweep's selection and claiming over the bare SQL that selects the
  due certifications (goal <= 2);
- page_p95_ms / page_queries: server time and queries of the busiest pages (goal <= 100 ms at
  national scale; the same counts at both scales);
- http_vs_bare: requests/s of /me/ under gunicorn (2 workers) over a bare view behind the same
  middleware, both driven by wrk in this run (goal >= 0.5);
- readiness_vs_sql / readiness_p95_ms: the deployment pool search (everyone ready for a profile
  over a window, deployments/readiness.py) over the bare SQL that selects the same people (goal
  <= 2), and its p95 (bench/readiness.py).
- load: 50 users for 60 s (locust, bench/load.py) against gunicorn with the production settings:
  users, seconds, requests, errors (goal 0), requests_per_s, bare_requests_per_s,
  throughput_vs_bare (goal >= 0.25), endpoints {name: p50_ms, p95_ms, p95_vs_bare (goal <= 20)};
- page_p95_vs_bare: each page's p95 over the bare view's, both in-process (goal <= 25).

Each measurement is a function (measure_exports, measure_sweep_vs_sql, measure_pages,
measure_http) returning a dict; bench/RESULTS.md records the figures. The database is left as it
was: writes happen in transactions that are rolled back, and sessions created for the load
test are deleted.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time

SCALES = {"small": 10_000, "national": 200_000}  # trainees the generator writes

GOALS = {
    "export_vs_copy": (">=", 0.5),
    "sweep_vs_sql": ("<=", 2.0),
    "page_p95_ms": ("<=", 100.0),
    "http_vs_bare": (">=", 0.5),
    "readiness_vs_sql": ("<=", 2.0),
    # Many people at once (bench/load.py): the same run, the same machine.
    "load_errors": ("<=", 0),
    "throughput_vs_bare": (">=", 0.25),
    "p95_vs_bare": ("<=", 20.0),  # each endpoint's p95 under the mixed load over the bare view's
    "page_p95_vs_bare": ("<=", 25.0),  # each in-process page's p95 over the bare view's, in-process
}


def setup_django(database_url):
    """Configure Django with bench/settings.py (DEBUG off) on `database_url`."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def default_database_url(scale):
    return os.environ.get("DATABASE_URL") or f"postgres://postgres@127.0.0.1:5432/cecopam_bench_{scale}"


def check_scale(scale):
    from trainees.models import Trainee

    trainees = Trainee.objects.count()
    if trainees < SCALES[scale] * 0.9:
        raise SystemExit(
            f"bench.run: the database holds {trainees:,} trainees, not the {scale} scale "
            f"({SCALES[scale]:,}): run bench.generate first"
        )
    return trainees


# Tables the measurements write to (in transactions rolled back, or rows deleted afterwards).
TOUCHED_TABLES = [
    "certifications_expiryreminder",
    "courses_enrollment",
    "courses_enrollmentevent",
    "courses_coursesession",
    "django_session",
    "accounts_exportlog",
    "pghistory_context",
]


def vacuum():
    """VACUUM (ANALYZE) what earlier runs wrote to, as autovacuum would have by then: rolled-back
    rows leave dead tuples and pages no longer all-visible, which would slow the next run down."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TOUCHED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def machine():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    cpu = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    memory_gb = 0.0
    try:
        with open("/proc/meminfo") as meminfo:
            memory_gb = int(meminfo.readline().split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "cpu": cpu,
        "postgresql": postgres,
        "python": platform.python_version(),
        "database_size": size,
    }


# --- the measurements ---------------------------------------------------------------------


def measure_exports(database_url, out=print):
    from bench.exports import measure_exports as measure

    return measure(database_url=database_url, out=out)


def measure_sweep_vs_sql(out=print, runs=15, synthetic_certifications=None):
    """On the generated data (today's daily load); with synthetic_certifications, also
    bench/sweep.py's worst case (5,000 due at once) on a database of its own."""
    from django.db import connection

    from bench.sweep_in_place import measure_sweep_in_place

    return measure_sweep_in_place(
        runs=runs,
        out=out,
        synthetic=bool(synthetic_certifications),
        synthetic_database=f"{connection.settings_dict['NAME']}_sweep",
        synthetic_certifications=synthetic_certifications or 0,
    )


def measure_pages(out=print, requests=50):
    from bench.pages import measure_pages as measure

    return measure(requests=requests, out=out)


def measure_readiness(out=print, runs=40):
    from bench.readiness import measure_readiness as measure

    return measure(runs=runs, out=out)


def measure_load(database_url, out=print, seconds=60, bare_seconds=20, workers=None, worker_class=None, threads=None):
    from bench.load import measure_load as measure

    return measure(
        database_url=database_url,
        seconds=seconds,
        bare_seconds=bare_seconds,
        workers=workers,
        worker_class=worker_class,
        threads=threads,
        out=out,
    )


def measure_http(database_url, out=print, duration=5):
    from bench.http import measure_http as measure

    return measure(database_url=database_url, duration=duration, out=out)


MEASUREMENTS = ("exports", "sweep", "pages", "http", "load", "readiness")


def _verdict(name, value):
    comparison, goal = GOALS[name]
    if value is None:
        return "not measured"
    met = value >= goal if comparison == ">=" else value <= goal
    return f"{'met' if met else 'NOT MET'} (goal {comparison} {goal:g})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), required=True)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else cecopam_bench_<scale> on localhost")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, help="run only these measurements")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk round per URL (default 5)")
    parser.add_argument(
        "--synthetic-sweep",
        type=int,
        metavar="CERTIFICATIONS",
        help="also run bench/sweep.py's worst case (5,000 due at once) among this many certifications, "
        "in a database of its own (<database>_sweep, dropped afterwards)",
    )
    parser.add_argument("--load-seconds", type=int, default=60, help="seconds of the mixed load (default 60)")
    parser.add_argument("--bare-seconds", type=int, default=20, help="seconds of the bare-view load (default 20)")
    parser.add_argument("--workers", type=int, help="gunicorn workers for the load (default: gunicorn.conf.py)")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], help="default: gunicorn.conf.py")
    parser.add_argument("--threads", type=int, help="threads per gthread worker (default: gunicorn.conf.py)")
    args = parser.parse_args(argv)
    database_url = args.database_url or default_database_url(args.scale)
    setup_django(database_url)
    selected = args.only or MEASUREMENTS

    def out(line=""):
        print(line, flush=True)

    started = time.perf_counter()
    vacuum()
    summary = {
        "scale": args.scale,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "trainees": check_scale(args.scale),
        "machine": machine(),
    }
    out(
        f"bench.run --scale {args.scale} on {summary['machine']['database_size']} database, "
        f"{summary['trainees']:,} trainees; {summary['machine']['nproc']} CPUs, PostgreSQL "
        f"{summary['machine']['postgresql']}"
    )

    if "exports" in selected:
        out("\nExports (CSV, every row) against COPY (the same query) TO STDOUT WITH CSV")
        exports = measure_exports(database_url, out=out)
        summary["export_vs_copy"] = exports["export_vs_copy"]
        summary["export_vs_copy_roster"] = exports["export_vs_copy_roster"]
        summary["export_rss_mb"] = exports["export_rss_mb"]
        summary["exports"] = exports["detail"]
    if "sweep" in selected:
        out("\nReminder sweep (selection + claim) against the bare due-selection SQL")
        sweep = measure_sweep_vs_sql(out=out, synthetic_certifications=args.synthetic_sweep)
        summary["sweep_vs_sql"] = sweep["sweep_vs_sql"]
        summary["sweep"] = sweep
    if "pages" in selected:
        out(f"\nPages: server time over {args.requests} requests after warm-up (test client, DEBUG off)")
        pages = measure_pages(out=out, requests=args.requests)
        summary["page_p95_ms"] = {name: page["p95_ms"] for name, page in pages["pages"].items()}
        summary["page_median_ms"] = {name: page["median_ms"] for name, page in pages["pages"].items()}
        summary["page_queries"] = {name: page["queries"] for name, page in pages["pages"].items()}
        summary["page_subjects"] = pages["subjects"]
        bare_p95 = pages["bare"]["p95_ms"]
        summary["page_bare_p95_ms"] = bare_p95
        summary["page_p95_vs_bare"] = {name: round(p95 / bare_p95, 1) for name, p95 in summary["page_p95_ms"].items()}
    if "http" in selected:
        out(f"\nHTTP: gunicorn, 2 workers, wrk: 3 alternating rounds of {args.duration} s per URL")
        http = measure_http(database_url, out=out, duration=args.duration)
        summary["http_vs_bare"] = http["http_vs_bare"]
        summary["http"] = http

    if "readiness" in selected:
        out("\nReadiness pool (one profile and window) against the bare SQL selecting the same people")
        readiness = measure_readiness(out=out)
        summary["readiness_vs_sql"] = round(readiness["readiness_vs_sql"], 2)
        summary["readiness_p95_ms"] = readiness["readiness_p95_ms"]
        summary["readiness"] = readiness
    if "load" in selected:
        out(f"\nLoad: {args.load_seconds} s of a mixed load of 50 users (locust) against gunicorn, production settings")
        summary["load"] = measure_load(
            database_url,
            out=out,
            seconds=args.load_seconds,
            bare_seconds=args.bare_seconds,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
        )

    out("\nSummary")
    if "export_vs_copy" in summary:
        out(
            f"  export_vs_copy   {summary['export_vs_copy']:>8}   {_verdict('export_vs_copy', summary['export_vs_copy'])}"
        )
        out(
            f"  export_vs_copy_roster {summary['export_vs_copy_roster']:>3}   (100 rosters of ~200 rows, one download each)"
        )
        out(f"  export_rss_mb    {json.dumps(summary['export_rss_mb'])}")
    if "sweep_vs_sql" in summary:
        out(f"  sweep_vs_sql     {summary['sweep_vs_sql']:>8}   {_verdict('sweep_vs_sql', summary['sweep_vs_sql'])}")
    for name, p95 in summary.get("page_p95_ms", {}).items():
        ratio = summary["page_p95_vs_bare"][name]
        out(
            f"  {name:<26} p95 {p95:>7} ms  {summary['page_queries'][name]:>3} queries   {_verdict('page_p95_ms', p95)}"
            f"   {ratio:>5} x bare {_verdict('page_p95_vs_bare', ratio)}"
        )
    if "readiness_vs_sql" in summary:
        out(
            f"  readiness_vs_sql {summary['readiness_vs_sql']:>8}   {_verdict('readiness_vs_sql', summary['readiness_vs_sql'])}"
            f"   p95 {summary['readiness_p95_ms']} ms"
        )
    if "http_vs_bare" in summary:
        out(f"  http_vs_bare     {summary['http_vs_bare']:>8}   {_verdict('http_vs_bare', summary['http_vs_bare'])}")
    if "load" in summary:
        load = summary["load"]
        out(f"  load errors      {load['errors']:>8}   {_verdict('load_errors', load['errors'])}")
        out(
            f"  throughput_vs_bare {load['throughput_vs_bare']:>6}   {_verdict('throughput_vs_bare', load['throughput_vs_bare'])}"
        )
        for name, endpoint in load["endpoints"].items():
            out(
                f"  {name:<22} p95 {endpoint['p95_vs_bare']:>6} x bare   {_verdict('p95_vs_bare', endpoint['p95_vs_bare'])}"
            )
    summary["seconds"] = round(time.perf_counter() - started, 1)
    out(json.dumps(summary, ensure_ascii=False, sort_keys=False))
    return summary


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
