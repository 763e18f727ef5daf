# Set-up, run and test CECOPAM Training Records. `make run` and `make test` do everything
# on a fresh machine: virtual environment, packages, front-end assets, database, translations.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# The database: DATABASE_URL alone chooses it (from the environment or .env, as the settings read
# it), e.g. postgres://postgres@127.0.0.1:5432/cecopam_test; `make` creates the database it names.
DATABASE_URL ?= $(shell sed -n 's/^DATABASE_URL=//p' .env 2>/dev/null)
DEFAULT_DATABASE_URL := postgres://postgres@127.0.0.1:5432/cecopam
DB_URL := $(or $(DATABASE_URL),$(DEFAULT_DATABASE_URL))
DB_NAME := $(lastword $(subst /, ,$(firstword $(subst ?, ,$(DB_URL)))))
# psql on the same server, connected to its maintenance database to create DB_NAME.
PG := psql "$(patsubst %/$(DB_NAME),%/postgres,$(firstword $(subst ?, ,$(DB_URL))))"
# The port `make run` serves on (Procfile's web process reads it).
PORT ?= 8000
export PORT
# apt waits up to 10 minutes for another apt or dpkg (an unattended upgrade) to release its lock.
APT := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

.PHONY: setup venv assets services database messages translations run test lint format requirements seed clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.package-lock.json

assets: node_modules/.package-lock.json

services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

database: services
	@$(PG) -tAc "SELECT 1 FROM pg_database WHERE datname='$(DB_NAME)'" | grep -q 1 || $(PG) -c "CREATE DATABASE $(DB_NAME)"

messages: venv
	@command -v msgfmt >/dev/null || ($(APT) install -y -qq gettext >/dev/null 2>&1 || true)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# Refresh the Spanish and English catalogues from the source. Then translate every new entry of
# locale/es/LC_MESSAGES/django.po, remove the "fuzzy" marks, and compile (tests/test_translations.py
# runs the same makemessages and fails on any untranslated or fuzzy Spanish entry).
translations: venv
	@command -v msgfmt >/dev/null || ($(APT) install -y -qq gettext >/dev/null 2>&1 || true)
	mkdir -p locale
	$(PY) manage.py makemessages -l es -l en --no-location --ignore=.venv --ignore=node_modules --ignore=bench --ignore=tests --ignore=var --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

setup: venv assets database messages
	$(PY) manage.py migrate --no-input -v 0

seed: setup
	$(PY) manage.py seed_demo

# Serves the app on http://localhost:$(PORT) (PORT=8080 make run) with demo data, a Celery worker and beat.
run: seed
	mkdir -p var/mail
	$(BIN)/honcho start --port $(PORT)

test: venv assets services messages
	@command -v chromium >/dev/null || ($(APT) update -qq && $(APT) install -y -qq chromium)
	@command -v pdftotext >/dev/null || $(APT) install -y -qq poppler-utils
	@command -v zbarimg >/dev/null || $(APT) install -y -qq zbar-tools
	@command -v soffice >/dev/null || $(APT) install -y -qq libreoffice-calc-nogui
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run -v 1
	DEBUG=false SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9') ALLOWED_HOSTS=cecopam.example.mx \
		$(PY) manage.py check --deploy --fail-level WARNING
	$(BIN)/pytest -n 2

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# pip-tools comes with requirements-dev.txt, so the virtual environment is made first.
requirements: venv
	$(BIN)/pip-compile --quiet --strip-extras requirements.in -o requirements.txt
	$(BIN)/pip-compile --quiet --strip-extras requirements-dev.in -o requirements-dev.txt
	# Production: the same pins, with psycopg2 built from source instead of the -binary wheel.
	sed -e 's/^psycopg2-binary==/psycopg2==/' -e '1a # Production: requirements.txt with psycopg2 built from source (README, Production); made by make requirements.' requirements.txt > requirements-production.txt

clean:
	rm -rf $(VENV) node_modules staticfiles
