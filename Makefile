# Two commands on a fresh machine: `make run` serves the archive, `make test` runs the tests.
# Django 6 needs Python 3.12 or newer: the first such interpreter found is used.
# pyenv's installed versions count too, even when pyenv's default is older.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test install migrate import-seeds clean mutate

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What the archive needs to run; the tests' and benchmarks' extras come with `make test`.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# A development checkout runs in debug mode, so that `manage.py …` works as printed in the
# README without exporting anything; settings read .env, the environment winning.
.env:
	echo DJANGO_DEBUG=True > .env

install: $(VENV)/.installed .env

run: export DJANGO_DEBUG ?= True
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py import_releases seeds/
	$(BIN)/python manage.py runserver $(HOST)

# The suite runs on SQLite; when DATABASE_URL names a PostgreSQL database it runs there too.
test: install $(VENV)/.installed-test
	DJANGO_DEBUG=True DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_ARGS)
	@case "$$DATABASE_URL" in postgres*) \
		echo "--- and on PostgreSQL ($$DATABASE_URL)"; \
		DJANGO_DEBUG=True $(BIN)/python -m pytest $(PYTEST_ARGS);; esac

# Mutation testing, a habit rather than a gate: mutmut changes the modules under [tool.mutmut]
# in pyproject.toml one small edit at a time, runs the tests on SQLite against each, and lists
# the edits no test noticed. One mutant at a time unless MUTMUT_ARGS says otherwise, e.g.
# MUTMUT_ARGS='--max-children 4' or MUTMUT_ARGS='"archive.citations*"' for one module.
MUTMUT_ARGS ?= --max-children 1
mutate: install $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[mutation]'
	DJANGO_DEBUG=True DATABASE_URL= $(BIN)/mutmut run $(MUTMUT_ARGS)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) staticfiles .pytest_cache mutants
