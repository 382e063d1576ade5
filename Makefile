# spantop — run `make` or `make help` for the targets.

GO      ?= go
BIN     := bin/spantop
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Extra arguments for `make run` / `make demo`, e.g. make demo ARGS="--ascii".
ARGS    ?=
BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

.DEFAULT_GOAL := help
.PHONY: help build run demo test bench bench-agentlib bench-all lint fmt screenshots clean

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/spantop.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/spantop

run: build ## Run spantop on 127.0.0.1:4317 (gRPC) and :4318 (HTTP).
	./$(BIN) $(ARGS)

demo: build ## Run spantop with its built-in demo workload.
	./$(BIN) demo $(ARGS)

test: ## Run all tests with the race detector (the tmux end-to-end test builds its own binary).
	$(GO) test -race -count=1 ./...
	cd agentlib && $(GO) test -race -count=1 ./...

bench: ## The headline figures: ingest vs a count-only ceiling, memory per span, 1M-span frame, recording's cost, replay and seek (agentlib's: bench-agentlib).
	$(GO) test -run '^$$' -bench 'IngestGRPC' -benchtime 60x -count 6 ./ingest
	$(GO) test -run '^$$' -bench 'RetainedSpanMemory' -benchtime 1x ./model
	$(GO) test -run '^$$' -bench 'TasksQuery1M|ApplySteady' -benchtime 2000x ./model
	$(GO) test -run '^$$' -bench 'TasksFrame1M' -benchtime 300x -count 3 ./ui
	$(GO) test -run '^$$' -bench 'IngestGRPCRecording' -benchtime 40x ./ingest
	$(GO) test -run '^$$' -bench 'ReplayMax' -benchtime 5x ./ingest/replay
	$(GO) test -run '^$$' -bench 'Seek1M' -benchtime 2x ./ingest/replay
	@echo "The cost of agentlib to the application it runs in: make bench-agentlib"

# Off and on run side by side in each of several processes, so that drift in
# the machine's speed falls on both; benchstat compares them.
bench-agentlib: ## agentlib's cost to the app: CPU per job of a worker pool and of an idle process, off vs on; Mutex/Semaphore.
	cd agentlib && $(GO) test -run '^$$' -bench 'Uncontended' -benchtime 2000000x -count 3 .
	cd agentlib && $(GO) test -c -o ../bin/agentlib.test .
	for i in 1 2 3 4 5 6 7 8; do ./bin/agentlib.test -test.run '^$$' -test.bench 'WorkerPool$$' -test.benchtime 300x; done | tee bin/bench-workerpool.txt
	$(BENCHSTAT) -col /agentlib bin/bench-workerpool.txt
	for i in 1 2 3 4 5 6; do ./bin/agentlib.test -test.run '^$$' -test.bench 'Idle10k' -test.benchtime 30x; done | tee bin/bench-idle.txt
	$(BENCHSTAT) -col /agentlib bin/bench-idle.txt

bench-all: ## Every benchmark (2s each, with allocations).
	$(GO) test -run '^$$' -bench . -benchtime 2s -benchmem -count 1 ./...
	cd agentlib && $(GO) test -run '^$$' -bench . -benchtime 2s -benchmem -count 1 ./...

lint: ## go vet and a gofmt check.
	$(GO) vet ./...
	cd agentlib && $(GO) vet ./...
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt -l found unformatted files:"; echo "$$out"; exit 1; fi

fmt: ## Format the code with gofmt.
	gofmt -w .

screenshots: build ## Regenerate screenshots/*.txt and *.png from `spantop demo` in tmux.
	scripts/screenshots.sh

clean: ## Remove build output.
	rm -rf bin
