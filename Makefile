# The two commands: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.PHONY: setup build lint test test-unit test-integration demo bench clean

setup:
	@scripts/setup.sh

build:
	@npx tsc -p tsconfig.json && npx tsc -p tsconfig.client.json && npx tsc -p web/tsconfig.unit.json

lint:
	@npx eslint . && npx prettier --check . --log-level warn

test-unit:
	@node --test --test-concurrency=2 dist/test/unit/

test-integration:
	@scripts/integration.sh

test: setup lint test-unit test-integration

demo: setup
	@node dist/scripts/demo.js

# The static-flows section needs Open vSwitch: started here if it is not running, stopped after if so.
bench: setup
	@node dist/test/integration/harness/cli.js ensure-ovs
	@node dist/bench/run.js; status=$$?; node dist/test/integration/harness/cli.js stop-ovs; exit $$status

clean:
	rm -rf dist
