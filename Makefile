# speechnas: `make test` installs what it needs into .venv (first run only) and runs the test suite.
PY := .venv/bin/python

.PHONY: install test test-fast mini clean-venv

install:
	@bash tools/install.sh

test: install
	$(PY) -m pytest -q tests

# Everything but the slow end-to-end recipe tests.
test-fast: install
	$(PY) -m pytest -q -m "not slow" tests

clean-venv:
	rm -rf .venv

mini: install
	bash egs/ljspeech/run.sh --mini true
