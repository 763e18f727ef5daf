"""Many people at once: a mixed load of 50 users for 60 s against gunicorn with the production settings.

`measure_load(database_url=...)` runs inside a configured Django (bench/settings.py) against a
generated database and:

1. prepares the people (bench/locustfile.py plays them): 29 trainee accounts that sign in with a
   password (their hashes are saved and put back afterwards), 10 instructors each with the open
   session nearest 30 enrolled (its results are saved and put back afterwards) and 10
   administrators; instructors' and administrators' sessions are created here as a sign-in
   would (administrators also pass the second factor with their own TOTP device,
   accounts/testing.py), since typing codes under load would measure the typist;
2. collects the static files and starts gunicorn as the README's production section does
   (`gunicorn -c gunicorn.conf.py`), with the production settings (cecopam/settings.py with DEBUG
   off, a random SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, behind one trusted TLS proxy: the load
   says X-Forwarded-Proto: https and X-Forwarded-For) plus bench/urls.py's bare view
   (bench/production_settings.py), and a Celery worker (documents rendered off the request path);
3. plays the mix with locust, headless, on the loopback, for `seconds`: trainees signing in,
   opening /me/, downloading their transcript and certificates; instructors opening sessions
   and saving their grid; administrators searching, filtering, opening records, the expiring
   report and downloading rosters; one user asking the bare view five times a second, whose
   p95 is the yardstick of every endpoint's under the same load;
4. `bare_seconds` of the same number of users asking only the bare view, before the mix and
   again after it: the mean of both is the throughput the mix is compared with (the host's speed
   drifts within minutes);
5. stops the servers (by process group id) and puts the database back: the sessions created,
   passwords, grid results and the export log rows the rosters wrote.

Returns {users, seconds, requests, errors, requests_per_s, bare_requests_per_s,
throughput_vs_bare, bare_p95_ms, endpoints: {name: {requests, errors, p50_ms, p95_ms,
p95_vs_bare}}, ...}.
"""

import csv
import json
import os
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USERS = {"trainee": 29, "instructor": 10, "administrator": 10}  # and one prober of the bare view
PASSWORD = "load-test-password-2026"
SEARCHES = ["garcia", "hernandez", "lopez", "martinez", "nunez", "perez", "rodriguez", "gonzalez"]
GRID_ROWS = 30
DOCUMENTS = ("transcript_pdf", "certificate_pdf")  # downloads that may answer "being prepared" first


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process):
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def server_environment(database_url, secret_key):
    """The environment of a production server on the loopback (README, Production)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.production_settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUST_X_FORWARDED_PROTO": "true",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _plan(secret_key):
    """The people and what they open; returns (plan, restore) where restore() puts back what
    the preparation and the run changed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import override_settings

    from accounts.models import ExportLog
    from accounts.testing import verify_second_factor
    from certifications.models import Certification
    from courses.models import CourseSession, Enrollment
    from trainees.models import Trainee

    User = get_user_model()
    sessions_before = set(Session.objects.values_list("session_key", flat=True))
    export_log_before = ExportLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    accounts = list(
        User.objects.filter(trainee__isnull=False, is_active=True)
        .annotate(n=Count("trainee__enrollments"))
        .order_by("-n", "pk")
        .select_related("trainee")[: USERS["trainee"]]
    )
    assert len(accounts) == USERS["trainee"], "not enough trainee accounts: was the database generated?"
    passwords = {user.pk: user.password for user in accounts}
    User.objects.filter(pk__in=passwords).update(password=make_password(PASSWORD))
    # The PDFs issuing would have stored (certifications.services.issue_certification renders each
    # certificate off the request path when it is issued): bench/generate.py loads certificates by
    # COPY, without the issuing service. Rendered here once per database; later runs find them.
    from certifications.stored_documents import store_missing_certificates

    stored_now = store_missing_certificates(Certification.objects.filter(trainee__user__in=accounts))
    trainees = []
    for user in accounts:
        certificates = [
            c.pk
            for c in Certification.objects.filter(trainee=user.trainee, revoked_at__isnull=True).select_related(
                "enrollment"
            )
            if not c.is_external
        ]
        trainees.append(
            {"username": user.username, "service_number": user.trainee.service_number, "certifications": certificates}
        )

    open_sessions = list(
        CourseSession.objects.exclude(status__in=[CourseSession.Status.FINALIZED, CourseSession.Status.CANCELLED])
        .annotate(enrolled=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.ENROLLED)))
        .filter(instructors__isnull=False, enrolled__gte=GRID_ROWS // 2)
        .order_by("enrolled", "pk")
        .distinct()[: USERS["instructor"]]
    )
    assert len(open_sessions) == USERS["instructor"], "not enough open sessions with instructors"
    grid_rows = list(
        Enrollment.objects.filter(session__in=open_sessions).values("pk", "result", "score", "attendance", "remarks")
    )
    administrators = list(User.objects.filter(username__startswith="bench.admin.").order_by("username"))
    assert administrators, "no bench administrators: was the database generated?"

    keys = []
    with override_settings(SECRET_KEY=secret_key):  # the server's key signs the sessions it reads
        instructors = []
        for session in open_sessions:
            client = Client()
            client.force_login(session.instructors.order_by("pk").first())
            keys.append(client.session.session_key)
            instructors.append({"session_key": keys[-1], "session": session.pk, "enrolled": session.enrolled})
        admins = []
        for index in range(USERS["administrator"]):
            admin = administrators[index % len(administrators)]
            client = Client()
            client.force_login(admin)
            verify_second_factor(client, admin)
            keys.append(client.session.session_key)
            admins.append({"session_key": keys[-1]})

    records = list(Trainee.objects.order_by("pk").values_list("pk", flat=True)[:2000:10])
    rosters = list(
        CourseSession.objects.filter(status=CourseSession.Status.FINALIZED)
        .order_by("-starts_on", "pk")
        .values_list("pk", flat=True)[:50]
    )
    plan = {
        "password": PASSWORD,
        "users": sum(USERS.values()) + 1,
        "weights": USERS,
        "trainees": trainees,
        "instructors": instructors,
        "administrators": admins,
        "searches": SEARCHES,
        "records": records,
        "rosters": rosters,
        "certificates_stored_before_the_run": stored_now,
    }

    def restore():
        for user_pk, password in passwords.items():
            User.objects.filter(pk=user_pk).update(password=password)
        fields = ["result", "score", "attendance", "remarks"]
        rows = [Enrollment(**row) for row in grid_rows]
        Enrollment.objects.bulk_update(rows, fields, batch_size=500)
        Session.objects.exclude(session_key__in=sessions_before).delete()
        ExportLog.objects.filter(pk__gt=export_log_before).delete()

    return plan, restore


def _wait_until_up(base, server, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench.load: gunicorn exited: {server.stderr.read().decode()[-2000:]}")
        try:
            request = urllib.request.Request(base + "/healthz", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("bench.load: gunicorn did not answer /healthz")


def _locust(base, plan_path, phase, users, seconds, folder):
    prefix = Path(folder) / phase
    env = {**os.environ, "BENCH_LOAD_PLAN": str(plan_path), "BENCH_LOAD_PHASE": phase}
    locust = Path(sys.executable).with_name("locust")
    completed = subprocess.run(
        [
            str(locust),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise SystemExit(f"bench.load: locust wrote no statistics:\n{completed.stderr[-3000:]}")
    with stats_path.open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    failures_path = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_path.open())) if failures_path.exists() else []
    exceptions_path = Path(f"{prefix}_exceptions.csv")
    for row in csv.DictReader(exceptions_path.open()) if exceptions_path.exists() else []:
        # An exception in a user's task is a failure of the benchmark itself: count it.
        failures.append({"Name": "exception", "Error": row["Traceback"][-300:], "Occurrences": row["Count"]})
    return rows, failures


def _figures(row):
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "requests_per_s": float(row["Requests/s"]),
    }


def measure_load(
    *, database_url, seconds=60, bare_seconds=20, workers=None, worker_class=None, threads=None, out=print
):
    from django.core.management import call_command

    secret_key = secrets.token_urlsafe(50)
    env = server_environment(database_url, secret_key)
    # Production serves static files through whitenoise from collectstatic's manifest.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    call_command("clearsessions")
    plan, restore = _plan(secret_key)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "gunicorn.conf.py")]
    gunicorn += ["--bind", f"127.0.0.1:{port}"]
    if workers:
        gunicorn += ["--workers", str(workers)]
    if worker_class:
        gunicorn += ["--worker-class", worker_class]
    if threads:
        gunicorn += ["--threads", str(threads)]
    celery = [str(Path(sys.executable).with_name("celery")), "-A", "cecopam", "worker", "--concurrency", "1"]
    celery += ["--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    server = worker = None
    results = {"users": plan["users"], "seconds": seconds}
    results["certificates_stored_before_the_run"] = plan["certificates_stored_before_the_run"]
    try:
        server = subprocess.Popen(
            gunicorn, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        worker = subprocess.Popen(
            celery, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        _wait_until_up(base, server)
        configured = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        results["gunicorn"] = {
            "workers": workers or configured["workers"],
            "worker_class": worker_class or configured["worker_class"],
            "threads": threads or configured["threads"],
        }
        with tempfile.TemporaryDirectory() as folder:
            plan_path = Path(folder) / "plan.json"
            plan_path.write_text(json.dumps(plan))
            out(
                f"  mixed: {plan['users']} users for {seconds} s, gunicorn {results['gunicorn']} "
                f"(trainees {USERS['trainee']}, instructors {USERS['instructor']}, administrators "
                f"{USERS['administrator']}, one bare-view prober)"
            )
            # The bare view alone before and after the mix: the host's speed drifts within minutes
            # (other tenants), and the mean of both is what the mix is compared with.
            out(f"  bare: {plan['users']} users for {bare_seconds} s, the bare view only, before the mix")
            bare_before, _failures = _locust(base, plan_path, "bare", plan["users"], bare_seconds, folder)
            mixed, failures = _locust(base, plan_path, "mixed", plan["users"], seconds, folder)
            # Let the server finish what the mix left queued before the bare view is measured alone.
            time.sleep(5)
            out(f"  bare: {plan['users']} users for {bare_seconds} s, the bare view only, after the mix")
            bare_after, _failures = _locust(base, plan_path, "bare", plan["users"], bare_seconds, folder)
    finally:
        _stop(server)
        _stop(worker)
        restore()

    total = _figures(mixed["Aggregated"])
    # transcript_pdf and certificate_pdf are one download each from the first request to the PDF
    # (their HTTP requests are <name>_attempt): counted as endpoints, not as requests.
    synthetic = sum(_figures(mixed[name])["requests"] for name in DOCUMENTS if name in mixed)
    requests = total["requests"] - synthetic
    requests_per_s = total["requests_per_s"] * requests / max(total["requests"], 1)
    bare_under_load = _figures(mixed["bare"])
    before, after = _figures(bare_before["Aggregated"]), _figures(bare_after["Aggregated"])
    bare_alone = {
        "requests_per_s": (before["requests_per_s"] + after["requests_per_s"]) / 2,
        "errors": before["errors"] + after["errors"],
        "p95_ms": max(before["p95_ms"], after["p95_ms"]),
    }
    results.update(
        {
            "requests": requests,
            "errors": total["errors"]
            + bare_alone["errors"]
            + sum(int(f["Occurrences"]) for f in failures if f["Name"] == "exception"),
            "requests_per_s": round(requests_per_s, 1),
            "bare_requests_per_s": round(bare_alone["requests_per_s"], 1),
            "bare_requests_per_s_before_and_after": [
                round(before["requests_per_s"], 1),
                round(after["requests_per_s"], 1),
            ],
            "throughput_vs_bare": round(requests_per_s / bare_alone["requests_per_s"], 3),
            "bare_p95_ms": bare_under_load["p95_ms"],
            "bare_alone_p95_ms": bare_alone["p95_ms"],
            "endpoints": {},
            "failures": [
                {"name": f["Name"], "error": f["Error"][:200], "occurrences": int(f["Occurrences"])} for f in failures
            ][:10],
        }
    )
    for name, row in sorted(mixed.items()):
        if name in {"Aggregated", "bare"} or name.endswith("_attempt"):
            continue
        figures = _figures(row)
        results["endpoints"][name] = {
            "requests": figures["requests"],
            "errors": figures["errors"],
            "p50_ms": figures["p50_ms"],
            "p95_ms": figures["p95_ms"],
            "p95_vs_bare": round(figures["p95_ms"] / max(bare_under_load["p95_ms"], 1), 2),
        }
    out(
        f"  {results['requests']} requests, {results['errors']} errors, {results['requests_per_s']} requests/s "
        f"(bare alone {results['bare_requests_per_s']}, mean of {results['bare_requests_per_s_before_and_after']} "
        f"before and after: {results['throughput_vs_bare']}); bare p95 under the "
        f"mix {results['bare_p95_ms']} ms"
    )
    for name, figures in results["endpoints"].items():
        out(
            f"  {name:<22} {figures['requests']:>6} requests {figures['errors']:>4} errors   p50 "
            f"{figures['p50_ms']:>7} ms   p95 {figures['p95_ms']:>7} ms   {figures['p95_vs_bare']:>6} x bare"
        )
    for failure in results["failures"]:
        out(f"  failure: {failure}")
    return results
