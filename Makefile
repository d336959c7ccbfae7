# Two entry points for a new user (see README.md): `make book` and `make test`. Both are idempotent.
VENV    := .venv
PY      := $(VENV)/bin/python
FER     := $(VENV)/bin/fer
STAMP   := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
# The team keeps the datasets beside the checkout; anyone else sets FER_DATA or fills data/.
FER_DATA ?= $(if $(wildcard ../shared/datasets),../shared/datasets,data)
export FER_DATA

.PHONY: setup book test browser clean-build

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

# Execute only chapters that are missing or stale for the cpu profile (reusing finished runs), then build.
# A failed chapter keeps its last finished page (the failed execution lies beside it as .failed.ipynb); the exit
# status reports it.
book: $(STAMP)
	status=0; $(FER) book run --profile cpu --stale-only || status=$$?; $(FER) book build && exit $$status

# Chromium for the browser test; skipped (and the test skips) where apt-get cannot install it.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: the browser test will be skipped"; }

test: $(STAMP) browser
	$(PY) -m pytest -q -ra

clean-build:
	rm -rf _build
