# The two commands a newcomer needs: `make run` and `make test`.  Everything else is a step
# they depend on, and each wraps the Rasa CLI as Rasa documents it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/cardcare.tar.gz
STAMP := $(VENV)/.installed

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::DeprecationWarning

MODEL_INPUTS := config.yml domain.yml $(shell find data nlu -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null)

.PHONY: setup browser train run chat stop test eval bench validate clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@python=$$(tools/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade "pip<25"
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

# Retrains only when the config, domain, training data or NLU components changed.
$(MODEL): $(STAMP) $(MODEL_INPUTS)
	$(RASA) train --fixed-model-name cardcare --out models

train: $(MODEL)

validate: $(STAMP)
	$(RASA) data validate

run: $(MODEL)
	$(PY) -m cardcare run

chat: $(STAMP)
	$(PY) -m cardcare chat

# Debian's chromium and CJK fonts for the web chat's browser tests (Playwright drives them).
browser:
	@tools/install-browser

# Lint first: a ruff finding fails in seconds, before the slow tests.
test: $(MODEL) browser
	$(PY) -m ruff check .
	$(PY) -m pytest

eval: $(MODEL)
	$(PY) -m cardcare eval

# Action-server latency per banking flow against the sandbox bank, then the gateway's overhead
# (Telegram webhook path vs Rasa's REST channel) and WeChat's passive-reply share.
bench: $(MODEL)
	$(PY) -m cardcare bench

clean:
	rm -rf models results .rasa
