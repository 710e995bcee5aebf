# e2RPRO — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_ENV := DEBUG=1 EMAIL_BACKEND=notifications.backends.MailboxBackend
# The demo's Zoom is the local emulator (zoom_emulator, started by rundemo on :8765).
# rundemo also starts the local Microsoft Entra ID + Graph (microsoft_emulator) on :8766
# and the local Google OAuth + Calendar (google_emulator) on :8767.
DEMO_ENV += ZOOM_CLIENT_ID=e2rpro-demo-client ZOOM_CLIENT_SECRET=e2rpro-demo-secret
DEMO_ENV += ZOOM_WEBHOOK_SECRET_TOKEN=e2rpro-demo-webhook-token
DEMO_ENV += ZOOM_OAUTH_BASE_URL=http://127.0.0.1:8765 ZOOM_API_BASE_URL=http://127.0.0.1:8765/v2

.PHONY: demo test venv lint layers typecheck format messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py rundemo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The layer contract (import-linter, [tool.importlinter] in pyproject.toml).
layers: $(STAMP)
	$(VENV)/bin/lint-imports

# mypy + django-stubs over the product apps ([tool.mypy] in pyproject.toml says which).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Needs GNU gettext (msgfmt). The compiled .mo files are committed, so a fresh machine needs nothing.
messages: $(STAMP)
	$(DEMO_ENV) $(PY) manage.py makemessages -l en --ignore=.venv --ignore=zoom_emulator --ignore=microsoft_emulator --ignore=google_emulator --ignore=emulator_kit --ignore=benchmarks --ignore=tests
	$(DEMO_ENV) $(PY) manage.py compilemessages -l en --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
