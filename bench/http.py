"""Requests per second of /me/ under gunicorn against a bare view behind the same middleware.

`measure_http(database_url=...)` starts gunicorn (2 sync workers, DJANGO_SETTINGS_MODULE=
bench.settings, DEBUG off) on a free loopback port, signs in SIGNED_IN trainee accounts (sessions
written to the database like a real sign-in), and drives both URLs with wrk (Debian's `wrk`),
in alternating rounds (ROUNDS of each, the median counts), with the same connections, duration
and cookies (a Lua script hands each request the next trainee's session cookie and counts any
response that is not 200):

- /me/: the trainee's own record (enrolments, certificates, reminders);
- /bench/bare/: a view that returns two bytes, behind the same middleware (session load and
  save, user, language, history context, CSP, ...): the floor of any signed-in request.

http_vs_bare = requests/s of /me/ divided by requests/s of the bare view (goal >= 0.5).
The sessions are deleted afterwards; gunicorn is stopped (by its process id).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SIGNED_IN = 20  # trainee accounts whose cookies the load rotates through
WORKERS = 2
CONNECTIONS = 4
THREADS = 1
ROUNDS = 3  # /me/ and the bare view alternate, each round `duration` seconds

LUA = r"""
-- Each request carries the next trainee's cookies; responses other than 200 are counted.
local cookies = {%(cookies)s}
local counter = 0
bad = 0  -- global: done() reads it through thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counter = math.random(#cookies)
end

function request()
  counter = counter %% #cookies + 1
  return wrk.format("GET", nil, {["Cookie"] = cookies[counter]})
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("bad_responses %%d\n", total))
  io.write(string.format("latency_p50_ms %%.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("latency_p99_ms %%.2f\n", latency:percentile(99) / 1000))
end
"""


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _sign_in(users):
    """A session key per user, stored like a real sign-in (the test client's force_login, and for
    an administrator the code page's verification with their TOTP device)."""
    from django.test import Client

    from accounts.testing import verify_second_factor
    from common.permissions import is_administrator

    keys = []
    for user in users:
        client = Client()
        client.force_login(user)
        if is_administrator(user):
            verify_second_factor(client, user)
        keys.append(client.cookies[_cookie_name()].value)
    return keys


def _cookie_header(session_key):
    """The cookies a browser sends once signed in: the session and the CSRF cookie that the
    first page with a form set (without it, every page would mint and set a new one)."""
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    csrf = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    return f"{_cookie_name()}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"


def _cookie_name():
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME


def _wait_until_up(base, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def _get(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def _wrk(url, script, duration):
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stdout}{completed.stderr}")
    output = completed.stdout
    figures = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    figures["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    for key in ("bad_responses", "latency_p50_ms", "latency_p99_ms"):
        figures[key] = float(re.search(rf"{key} ([\d.]+)", output).group(1))
    errors = re.search(r"Socket errors: (.*)", output)
    figures["socket_errors"] = errors.group(1) if errors else ""
    return figures


def measure_http(*, database_url, duration=5, warmup=2, out=print):
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.db.models import Count

    if shutil.which("wrk") is None:
        raise SystemExit("bench.http: wrk is not installed (apt-get install -y wrk)")
    User = get_user_model()
    users = list(
        User.objects.filter(trainee__isnull=False, is_active=True)
        .annotate(n=Count("trainee__enrollments"))
        .order_by("-n", "pk")[:SIGNED_IN]
    )
    assert users, "no trainee accounts: was the database generated?"
    keys = _sign_in(users)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "cecopam.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    results = {"workers": WORKERS, "connections": CONNECTIONS, "threads": THREADS, "duration_s": duration}
    try:
        _wait_until_up(base)
        cookies = [_cookie_header(key) for key in keys]
        cookie = cookies[0]
        status, body = _get(base + "/me/", cookie)
        assert status == 200 and users[0].trainee.service_number in body, "/me/ did not show the trainee's record"
        status, body = _get(base + "/bench/bare/", cookie)
        assert status == 200 and body == "ok"
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "cookies.lua"
            script.write_text(LUA % {"cookies": ", ".join(f'"{cookie}"' for cookie in cookies)})
            urls = (("me", "/me/"), ("bare", "/bench/bare/"))
            for _name, path in urls:
                _wrk(base + path, script, warmup)
            # Alternating rounds, so that a change of load on the machine weighs on both alike.
            rounds = {name: [] for name, _path in urls}
            for _ in range(ROUNDS):
                for name, path in urls:
                    figures = _wrk(base + path, script, duration)
                    assert figures["bad_responses"] == 0, f"{path}: responses other than 200"
                    rounds[name].append(figures)
            for name, path in urls:
                ordered = sorted(rounds[name], key=lambda figures: figures["requests_per_s"])
                results[name] = {
                    **ordered[len(ordered) // 2],
                    "rounds_requests_per_s": [f["requests_per_s"] for f in rounds[name]],
                }
                out(
                    f"  {path:<14} {results[name]['requests_per_s']:>8.1f} requests/s (median of {ROUNDS} rounds)   "
                    f"p50 {results[name]['latency_p50_ms']} ms   p99 {results[name]['latency_p99_ms']} ms"
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        Session.objects.filter(session_key__in=keys).delete()
    results["http_vs_bare"] = round(results["me"]["requests_per_s"] / results["bare"]["requests_per_s"], 2)
    out(f"  http_vs_bare {results['http_vs_bare']}")
    return results
