# Makefile — top-level dispatcher for pg_release.
#
# The extension is built with PGXS in extension/, the gatekeeper CLI in
# gatekeeper/, the cmocka suites in tests/unit/.  This file only routes.
#
#   make            build the extension and the gatekeeper
#   make install    install the extension into the server (root or sudo)
#   make check      unit tests, no server needed (cmocka)
#   make installcheck  pg_regress suites on a throwaway cluster
#   make integration   multi-process tests: streaming standby, CLI against a server
#   make test       all of the above, installing missing Debian packages first
#   make demo       the release story, end to end, on a throwaway cluster
#   make bench      benchmarks (print ratios; see docs/performance.md)

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps install check installcheck integration test demo bench fuzz clean

all:
	$(MAKE) -C extension
	$(MAKE) -C gatekeeper

deps:
	@sh tests/install-deps.sh

install: all
	$(SUDO) $(MAKE) -C extension install

check: all
	$(MAKE) -C tests/unit check
	$(MAKE) -C gatekeeper check

installcheck: install
	sh tests/run-regress.sh

integration: install
	sh tests/run-integration.sh
	sh tests/docs-check.sh
	sh tests/conformance/run.sh
	@log=$$(mktemp); if sh examples/demo.sh > $$log 2>&1; then echo "demo: ok"; rm -f $$log; \
	else cat $$log; rm -f $$log; exit 1; fi

# Sequential on purpose: each stage needs the previous one's build.
test: deps
	$(MAKE) check
	$(MAKE) installcheck
	$(MAKE) integration
	@echo "make test: unit, regression, integration, conformance, docs and demo all passed"

demo: deps install
	sh examples/demo.sh

bench: deps install
	sh tests/bench/run.sh
	$(MAKE) -C gatekeeper bench

fuzz: deps
	$(MAKE) -C gatekeeper fuzz

clean:
	$(MAKE) -C extension clean
	$(MAKE) -C gatekeeper clean
	$(MAKE) -C tests/unit clean
