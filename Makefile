# The two commands a person needs. Each installs what it needs first (scripts/bootstrap.sh).
#   make demo   the whole pipeline on the embedded default stack
#   make test   type check, lint, compose file check, every test against the real services, then
#               the export parity run (make test-export's work; its Python installs during jest)
#   make test-export   rebuild the tiny Wan2.2 checkpoint, export it, check parity with diffusers
# And for measuring: make bench NAME=plan [ARGS=...] (scripts/bench.sh; lists the benchmarks)
SHELL := /bin/bash
WITH_NODE = PATH="$$(cat node_modules/.reelcast-node-bin 2>/dev/null):$$PATH"

.PHONY: setup setup-tests demo test test-export check bench

setup:
	@scripts/bootstrap.sh

setup-tests:
	@scripts/bootstrap.sh --tests

demo: setup
	@$(WITH_NODE) node bin/reelcast.js demo

check:
	@$(WITH_NODE) npm run --silent typecheck
	@$(WITH_NODE) npm run --silent lint
	@docker-compose --env-file .env.example -f docker-compose.yml config -q && echo "docker-compose.yml: valid"

test: setup-tests check
	@$(WITH_NODE) node scripts/run-tests.js

test-export: setup-tests
	@$(WITH_NODE) models/export/test-export.sh

bench: setup
	@scripts/bench.sh $(NAME) $(ARGS)
