# entevents — `make demo` runs the example on SQLite; `make test` runs every test on
# SQLite and PostgreSQL (starting a local PostgreSQL when none answers).

GO ?= go

.PHONY: demo test fuzz generate migrations bench lint

demo:
	$(GO) run ./example/cmd/demo

test:
	bash scripts/ensure-postgres.sh
	$(GO) test -count=1 -timeout 20m ./...

# fuzz runs the fuzz tests of the event decoder and of the data parser against
# encoding/json, each for a short time (FUZZTIME=1m for longer).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeEventData -fuzztime $(or $(FUZZTIME),15s) ./entevents/replay/
	$(GO) test -run '^$$' -fuzz FuzzParseData -fuzztime $(or $(FUZZTIME),15s) ./entevents/eventlog/

generate:
	$(GO) generate ./example/ent

migrations:
	$(GO) run ./internal/migrategen -name $(or $(NAME),changes)

bench:
	bash scripts/ensure-postgres.sh
	$(GO) run ./internal/benchtable

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
