"""The people of bench/load.py, for locust (headless, loopback): run by bench/load.py, never alone.

The plan (who signs in as whom, which sessions, certificates and trainees they open) comes from
bench/load.py in the JSON file named by $BENCH_LOAD_PLAN. $BENCH_LOAD_PHASE is "mixed" (trainees,
instructors, administrators and one prober of the bare view) or "bare" (every user asks the bare
view only: the throughput the mix is compared with).

The server runs the production settings, whose cookies are Secure; the load talks plain HTTP to
127.0.0.1 and says X-Forwarded-Proto: https as the TLS proxy would, so each user keeps its
cookies itself and sends them in a Cookie header (a cookie jar would not send Secure cookies over
http). Each user also has an address of its own (X-Forwarded-For behind one trusted proxy), as
people signing in from their own machines do. A response other than the one expected is a
failure; a document "being prepared" (202) is asked again after the page's refresh delay, and
counts once, with the whole wait, under its name.
"""

import itertools
import json
import os
import random
import re
import time
from html.parser import HTMLParser

from locust import FastHttpUser, between, constant, events, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"]).read()) if "BENCH_LOAD_PLAN" in os.environ else {}
PHASE = os.environ.get("BENCH_LOAD_PHASE", "mixed")
THINK = between(0.0, 0.5)  # a person clicks again quickly; the load stays saturating
MIN_SECONDS_BETWEEN_SIGN_INS = 6.0  # a trainee signs in at most 10 times a minute

_addresses = itertools.count(1)
_trainees = itertools.cycle(PLAN.get("trainees", [{}]))
_instructors = itertools.cycle(PLAN.get("instructors", [{}]))
_administrators = itertools.cycle(PLAN.get("administrators", [{}]))
_sessions = itertools.count()

COOKIE = re.compile(r"^\s*([^=;\s]+)=([^;]*)")


class FormFields(HTMLParser):
    """The fields a browser would submit from the page's form with `method="post"` that holds
    `marker` in one of its field names (hidden, text, number, select, textarea; no buttons)."""

    def __init__(self, marker):
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.forms = []
        self.current = None
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = []
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.current.append([attrs["name"], attrs.get("value") or ("on" if kind == "checkbox" else "")])
        elif tag == "select" and attrs.get("name"):
            self.select = [attrs["name"], None, None]
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select[2] is None:
                self.select[2] = value
            if "selected" in attrs:
                self.select[1] = value
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select" and self.select is not None and self.current is not None:
            name, selected, first = self.select
            self.current.append([name, selected if selected is not None else (first or "")])
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.current is not None:
            self.current.append(self.textarea)
            self.textarea = None

    def fields(self):
        for form in self.forms:
            if any(self.marker in name for name, _value in form):
                return form
        return None


class Person(FastHttpUser):
    abstract = True
    wait_time = THINK

    def on_start(self):
        self.cookies = {}
        number = next(_addresses)
        self.address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"

    def headers(self, extra=None):
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if extra:
            headers.update(extra)
        return headers

    def keep_cookies(self, response):
        headers = response.headers
        if headers is None:
            return
        if hasattr(headers, "getlist"):
            values = headers.getlist("Set-Cookie")
        else:
            values = [value for name, value in headers.items() if name.lower() == "set-cookie"]
        for value in values:
            match = COOKIE.match(value)
            if match:
                self.cookies[match.group(1)] = match.group(2)

    def request(self, method, path, name, *, expect=(200,), data=None, referer=None, contains=None):
        # The browser's page is https (behind the TLS proxy): Django checks the Referer of a POST against it.
        https = self.host.replace("http://", "https://", 1)
        extra = {"Referer": https + (referer or path)} if method == "POST" else None
        if data is not None:
            extra = {**(extra or {}), "Content-Type": "application/x-www-form-urlencoded"}
        with self.client.request(
            method,
            path,
            name=name,
            headers=self.headers(extra),
            data=data,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.keep_cookies(response)
            if response.status_code not in expect:
                response.failure(f"{response.status_code} (expected {expect}) for {path}")
            elif contains is not None and contains not in (response.content or b""):
                response.failure(f"{path}: {contains!r} not in the response")
            else:
                response.success()
            return response

    def bare(self):
        self.request("GET", "/bench/bare/", "bare", contains=b"ok")


def _encode(fields):
    from urllib.parse import urlencode

    pairs = fields.items() if isinstance(fields, dict) else fields
    return urlencode([(name, value) for name, value in pairs])


def _csrf(body):
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body or b"")
    return match.group(1).decode() if match else ""


class Trainee(Person):
    """Signs in with a password (trainees have no second factor), then opens /me/ and downloads
    the transcript and a certificate, again and again."""

    weight = PLAN.get("weights", {}).get("trainee", 29)
    fixed_count = PLAN.get("weights", {}).get("trainee", 29)

    def on_start(self):
        super().on_start()
        self.me = next(_trainees)
        self.sign_in()

    def sign_in(self):
        self.signed_in_at = time.monotonic()
        self.cookies = {}
        page = self.request("GET", "/accounts/login/", "login_page")
        fields = {"csrfmiddlewaretoken": _csrf(page.content), "username": self.me["username"]}
        fields["password"] = PLAN["password"]
        self.request("POST", "/accounts/login/", "login", expect=(302,), data=_encode(fields))

    @task(4)
    def me_page(self):
        self.request("GET", "/me/", "me", contains=self.me["service_number"].encode())

    def document(self, path, name):
        """A PDF download: a 202 "being prepared" is asked again after the page's refresh delay;
        counted once under `name`, with the whole wait (its HTTP requests are `<name>_attempt`)."""
        started = time.perf_counter()
        for _attempt in range(30):
            with self.client.request(
                "GET", path, headers=self.headers(), allow_redirects=False, catch_response=True, name=f"{name}_attempt"
            ) as response:
                response.success()
                status, body = response.status_code, response.content or b""
            if status != 202:
                break
            time.sleep(2.0)  # the page's Refresh: 2
        elapsed = (time.perf_counter() - started) * 1000
        error = None if status == 200 and body.startswith(b"%PDF") else RuntimeError(f"{path}: {status}")
        events.request.fire(
            request_type="GET", name=name, response_time=elapsed, response_length=len(body), exception=error, context={}
        )

    @task(2)
    def transcript(self):
        self.document("/me/transcript.pdf", "transcript_pdf")

    @task(2)
    def certificate(self):
        if self.me.get("certifications"):
            pk = random.choice(self.me["certifications"])
            self.document(f"/certifications/{pk}/certificate.pdf", "certificate_pdf")

    @task(1)
    def sign_in_again(self):
        # A person signs in again after a while, not several times a second: the server refuses
        # more than SIGN_IN_RATE_LIMIT (20 a minute) from one address, as it should.
        if time.monotonic() - self.signed_in_at < MIN_SECONDS_BETWEEN_SIGN_INS:
            self.me_page()
            return
        self.request("GET", "/accounts/logout/", "logout", expect=(200, 302, 405))
        self.sign_in()


class Instructor(Person):
    """Opens their sessions and saves the results grid of a class of about 30."""

    weight = PLAN.get("weights", {}).get("instructor", 10)
    fixed_count = PLAN.get("weights", {}).get("instructor", 10)

    def on_start(self):
        super().on_start()
        self.me = next(_instructors)
        self.cookies = {"sessionid": self.me["session_key"]}
        self.round = next(_sessions)

    @task(2)
    def sessions(self):
        self.request("GET", "/sessions/", "session_list")

    @task(2)
    def session(self):
        self.request("GET", f"/sessions/{self.me['session']}/", "session_detail")

    @task(3)
    def save_grid(self):
        url = f"/sessions/{self.me['session']}/results/"
        page = self.request("GET", url, "results_grid_get")
        parser = FormFields("-score")
        parser.feed((page.content or b"").decode())
        fields = parser.fields()
        if fields is None:
            return
        self.round += 1
        score = str(80 + self.round % 20)
        for field in fields:
            if field[0].endswith("-score"):
                field[1] = score
            elif field[0].endswith("-result"):
                field[1] = "passed"
            elif field[0].endswith("-attendance"):
                field[1] = "100"
        self.request("POST", url, "results_grid_post", expect=(302,), data=_encode(fields))


class Administrator(Person):
    """Searches and filters the trainee list, opens records, the expiring report, sessions, and
    downloads rosters."""

    weight = PLAN.get("weights", {}).get("administrator", 10)
    fixed_count = PLAN.get("weights", {}).get("administrator", 10)

    def on_start(self):
        super().on_start()
        self.me = next(_administrators)
        self.cookies = {"sessionid": self.me["session_key"]}

    @task(3)
    def search(self):
        self.request("GET", f"/trainees/?q={random.choice(PLAN['searches'])}", "trainee_search")

    @task(2)
    def filter(self):
        self.request("GET", f"/trainees/?status={random.choice(['active', 'deployed', 'inactive'])}", "trainee_filter")

    @task(3)
    def record(self):
        self.request("GET", f"/trainees/{random.choice(PLAN['records'])}/", "trainee_record")

    @task(1)
    def expiring(self):
        self.request("GET", "/certifications/expiring/", "expiring_report")

    @task(1)
    def sessions(self):
        self.request("GET", "/sessions/?status=finalized", "session_filter")

    @task(2)
    def roster(self):
        session = random.choice(PLAN["rosters"])
        kind = random.choice(["csv", "xlsx"])
        self.request("GET", f"/sessions/{session}/roster.{kind}", f"roster_{kind}")


class BareProbe(Person):
    """In the mixed phase: the bare view asked now and then under the same load (its p95 is the
    yardstick of every endpoint's). In the bare phase: every user asks only the bare view."""

    weight = 1
    fixed_count = 1 if PHASE == "mixed" else PLAN.get("users", 50)
    wait_time = constant(0.2) if PHASE == "mixed" else constant(0)

    def on_start(self):
        super().on_start()
        self.cookies = {"sessionid": next(_administrators)["session_key"]}

    @task
    def probe(self):
        self.bare()


if PHASE == "bare":
    del Trainee, Instructor, Administrator
