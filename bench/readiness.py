"""The readiness pool search (deployments/readiness.py) against the bare SQL that selects the
same people, on a generated database (bench/generate.py makes a profile per UN role and a
deployment for each).

`measure_readiness(...)` returns, for each generated deployment's profile and window:
- pool_ms: median and p95 (timed alternately with the bare SQL) of `pool(profile, starts_on, ends_on).ready` read in full (the
  profile's requirements, the renewal sessions and the set-based selection: what /readiness/
  and its CSV run), and of the almost-ready selection;
- sql_ms: median of a hand-written SQL statement that selects the same people (checked equal);
- readiness_vs_sql: the worst ratio of the medians over the profiles (goal <= 2);
- page: /readiness/ for the first profile through the test client (p95, queries).
"""

import statistics
import time

from bench.pages import _expect, _time, percentile


def _bare_sql(profile, starts_on, ends_on):
    """The ready people of `profile` over the window, written by hand (no ORM)."""
    from dateutil.relativedelta import relativedelta

    clauses = ["t.status <> 'inactive'"]
    params = []
    for type_id in [t.pk for t in profile.required_types.all()]:
        clauses.append(
            "EXISTS (SELECT 1 FROM certifications_certification c WHERE c.trainee_id = t.id AND c.type_id = %s"
            " AND c.revoked_at IS NULL AND c.superseded_by_id IS NULL AND c.issued_on <= %s"
            " AND (c.expires_on IS NULL OR c.expires_on >= %s))"
        )
        params += [type_id, starts_on, ends_on]
    if profile.min_age:
        clauses.append("t.date_of_birth <= %s")
        params.append(starts_on - relativedelta(years=profile.min_age))
    if profile.min_service_years:
        clauses.append("t.service_started_on <= %s")
        params.append(starts_on - relativedelta(years=profile.min_service_years))
    for language in profile.languages.all():
        clauses.append(
            "EXISTS (SELECT 1 FROM trainees_traineelanguage l WHERE l.trainee_id = t.id AND l.language = %s"
            " AND l.proficiency = ANY(%s))"
        )
        params += [language.language, language.accepted_levels]
    return "SELECT t.id FROM trainees_trainee t WHERE " + " AND ".join(clauses), params


def _timed(call, runs):
    call()  # warm-up
    timings = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        timings.append((time.perf_counter() - started) * 1000)
    return result, timings


def _paired(first, second, runs):
    """Time `first` and `second` alternately (each warmed up once), so that both see the same
    moments of a shared machine's load; returns their results and timings."""
    first(), second()
    times = ([], [])
    results = [None, None]
    for _ in range(runs):
        for index, call in enumerate((first, second)):
            started = time.perf_counter()
            results[index] = call()
            times[index].append((time.perf_counter() - started) * 1000)
    return results, times


def measure_readiness(*, runs=40, requests=30, out=print):
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from deployments.models import Deployment
    from deployments.readiness import pool

    # Profiles with their requirements, as the readiness form loads them (deployments/forms.py);
    # the bare SQL is built from the same profile objects.
    deployments = list(
        Deployment.objects.filter(code__startswith="BENCH-")
        .select_related("profile")
        .prefetch_related("profile__required_types", "profile__languages")
        .order_by("code")
    )
    if not deployments:
        raise SystemExit("bench.readiness: no BENCH- deployments: regenerate the data with this bench/generate.py")
    results = {}
    for deployment in deployments:
        profile, starts_on, ends_on = deployment.profile, deployment.starts_on, deployment.ends_on

        def orm(profile=profile, starts_on=starts_on, ends_on=ends_on):
            return list(pool(profile, starts_on, ends_on).ready.values_list("pk", flat=True))

        def almost(profile=profile, starts_on=starts_on, ends_on=ends_on):
            return list(pool(profile, starts_on, ends_on).almost.values_list("pk", flat=True))

        sql, params = _bare_sql(profile, starts_on, ends_on)

        def bare(sql=sql, params=params):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return [row[0] for row in cursor.fetchall()]

        (ready_ids, bare_ids), (orm_times, sql_times) = _paired(orm, bare, runs)
        assert sorted(ready_ids) == sorted(bare_ids), f"{profile.code}: the pool and the bare SQL disagree"
        almost_ids, almost_times = _timed(almost, max(5, runs // 3))
        ratio = statistics.median(orm_times) / statistics.median(sql_times)
        results[profile.code] = {
            "ready": len(ready_ids),
            "almost": len(almost_ids),
            "pool_median_ms": round(statistics.median(orm_times), 1),
            "pool_p95_ms": round(percentile(orm_times, 0.95), 1),
            "sql_median_ms": round(statistics.median(sql_times), 1),
            "almost_p95_ms": round(percentile(almost_times, 0.95), 1),
            "ratio": round(ratio, 2),
        }
        out(
            f"  {profile.code:<28} {len(ready_ids):>6} ready {len(almost_ids):>6} almost   pool median "
            f"{results[profile.code]['pool_median_ms']:>7} ms p95 {results[profile.code]['pool_p95_ms']:>7} ms   "
            f"bare SQL {results[profile.code]['sql_median_ms']:>7} ms   x{ratio:.2f}   almost p95 "
            f"{results[profile.code]['almost_p95_ms']} ms"
        )

    first = deployments[0]
    admin = User.objects.filter(username__startswith="bench.admin.").order_by("username").first()
    client = Client()
    client.force_login(admin)
    url = (
        f"/readiness/?profile={first.profile.code}&starts_on={first.starts_on}&ends_on={first.ends_on}"
        f"&deployment={first.pk}"
    )
    page = _time(lambda: client.get(url), requests=requests, warmup=3, check=_expect(200))
    out(
        f"  /readiness/ ({first.profile.code})  p95 {page['p95_ms']} ms, median {page['median_ms']} ms, {page['queries']} queries"
    )
    return {
        "readiness_vs_sql": max(r["ratio"] for r in results.values()),
        "readiness_p95_ms": max(r["pool_p95_ms"] for r in results.values()),
        "profiles": results,
        "page": page,
    }
