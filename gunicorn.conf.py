"""gunicorn's configuration for production (README, Production): `gunicorn -c gunicorn.conf.py`.

Every value can be overridden by the environment (below) or on the command line. The worker
class and count were chosen by measurement with bench/load.py (bench/RESULTS.md, "Many people
at once").
"""

import os

wsgi_app = "cecopam.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that takes longer than this is killed and logged: PDFs are rendered by Celery, the
# longest page takes well under a second; exports stream and keep the worker alive.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers are recycled now and then (a slow leak cannot grow for ever), not all at once.
max_requests = 5000
max_requests_jitter = 500
# The application is imported once before forking: workers share its memory and start fast.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # "-" for standard output
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Behind the TLS proxy on the same machine (or the load balancer): trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
