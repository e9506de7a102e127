# patchwatch: build, demo, test. `make help` lists the targets.
GO      ?= go
BIN     ?= ./patchwatch
DB      ?= patchwatch.db
VERSION ?= 0.1.0

.PHONY: help build demo test golden bench clean

help:
	@echo "make build   build ./patchwatch"
	@echo "make demo    build, harvest the recorded fixtures into ./$(DB), print what was stored"
	@echo "make test    gofmt check, go vet, go test -race"
	@echo "make golden  rewrite the parsers' golden files (review the diff before committing)"
	@echo "make bench   measure every stage at 1,000, 10,000 and 100,000 pages (see BENCHMARKS.md)"

build:
	$(GO) build -ldflags "-X github.com/patchwatch/patchwatch/scrapers.Version=$(VERSION)" -o $(BIN) ./cmd/patchwatch

demo: build
	$(BIN) harvest --db $(DB) --replay fixtures
	@echo
	@echo "Stored in $(DB):"
	@$(BIN) query --db $(DB) "SELECT vendor, status, count(*) AS advisories FROM advisories GROUP BY vendor, status ORDER BY vendor, status"
	@echo
	@$(BIN) query --db $(DB) "SELECT vendor, category, count(*) AS fixes FROM fixes GROUP BY vendor, category ORDER BY vendor, fixes DESC"

test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race ./...

golden:
	$(GO) test ./scrapers/... -run Golden -update

BENCH_SIZES ?= 1000,10000,100000

bench: build
	$(GO) run ./cmd/pwbench --bin $(BIN) --sizes $(BENCH_SIZES)

clean:
	rm -f $(BIN) $(DB) $(DB)-wal $(DB)-shm
