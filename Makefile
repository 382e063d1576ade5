# spantop — run `make` or `make help` for the targets.

GO      ?= go
BIN     := bin/spantop
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Extra arguments for `make run` / `make demo`, e.g. make demo ARGS="--ascii".
ARGS    ?=
BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# staticcheck at a pinned version, fetched through the module proxy.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.DEFAULT_GOAL := help
.PHONY: help build run demo tools test bench bench-steady bench-sort bench-agentlib bench-all bench-bomb fuzz lint fmt screenshots soak clean

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/spantop.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/spantop

run: build ## Run spantop on 127.0.0.1:4317 (gRPC) and :4318 (HTTP).
	./$(BIN) $(ARGS)

demo: build ## Run spantop with its built-in demo workload.
	./$(BIN) demo $(ARGS)

# The Collector's load generator, for the end-to-end test of its traffic.
TELEMETRYGEN_VERSION := v0.161.0
bin/telemetrygen:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(TELEMETRYGEN_VERSION)

tools: bin/telemetrygen ## Install the tools the tests use (telemetrygen) into bin/.

test: tools ## Run all tests with the race detector (the tmux end-to-end test builds its own binary).
	$(GO) test -race -count=1 ./...
	cd agentlib && $(GO) test -race -count=1 ./...

# Recording's cost: rec/off is the CPU per span with --record over without,
# measured in one run (a plain and a .gz file; 120 rounds, as with 40 a
# run's ratio moved by up to 0.05 on a shared machine), then the encoder
# alone (enough requests for its memo and caches to be warm).
bench: ## The headline figures: span and log ingest vs a count-only ceiling, memory per span and per log, 1M-item frames, recording's cost, replay and seek (agentlib's: bench-agentlib).
	$(GO) test -run '^$$' -bench 'IngestGRPC(Ceiling)?$$|IngestLogsGRPC' -benchtime 60x -count 6 ./ingest
	$(GO) test -run '^$$' -bench 'RetainedSpanMemory|RetainedLogMemory' -benchtime 1x ./model
	$(GO) test -run '^$$' -bench 'TasksQuery1M|ApplySteady|LogsTail1M' -benchtime 2000x ./model
	$(GO) test -run '^$$' -bench 'TasksFrame1M' -benchtime 300x -count 3 ./ui
	$(GO) test -run '^$$' -bench 'IngestGRPCRecording' -benchtime 120x -count 3 ./ingest
	$(GO) test -run '^$$' -bench 'RecordEncode' -benchtime 10000x -count 3 ./ingest
	$(GO) test -run '^$$' -bench 'ReplayMax' -benchtime 5x ./ingest/replay
	$(GO) test -run '^$$' -bench 'Seek1M' -benchtime 2x ./ingest/replay
	@echo "The cost of agentlib to the application it runs in: make bench-agentlib"

# The whole process with its UI in tmux at a fixed rate, next to a receiver
# that only counts spans, in the same run. BEFORE=path/to/another/spantop
# measures that binary in the same run too (e.g. a build of main).
bench-steady: build ## CPU of the whole process with the UI on (tmux 200x50) at 10k spans/s, idle fresh, after the load and with 1M spans stored, vs a count-only receiver.
	$(GO) build -o bin/benchsteady ./scripts/benchsteady
	./bin/benchsteady $(BENCH_STEADY_ARGS) $(BEFORE) $(BIN)

# A sort change with 1M spans stored while spans arrive: the screen's frames
# and the writer's longest gap between batches, each next to the same run's
# steady figures (steady refreshes; BenchmarkSteady100k's drain: the gaps the
# machine makes by itself).
bench-sort: ## A sort change at 1M spans under load: frame and ingest stall vs steady refreshes in the same run.
	$(GO) test -run '^$$' -bench 'SortChange1M' -benchtime 1x -count 3 ./ui
	$(GO) test -run '^$$' -bench 'SortChangeUnderLoad1M|Steady100k' -benchtime 1x ./model

# Off and on run side by side in each of several processes, so that drift in
# the machine's speed falls on both; benchstat compares them.
bench-agentlib: ## agentlib's cost to the app: CPU per job of a worker pool and of an idle process, off vs on; Mutex/Semaphore.
	cd agentlib && $(GO) test -run '^$$' -bench 'Uncontended|GoStart' -benchtime 2000000x -count 3 .
	cd agentlib && $(GO) test -c -o ../bin/agentlib.test .
	for i in 1 2 3 4 5 6 7 8; do ./bin/agentlib.test -test.run '^$$' -test.bench 'WorkerPool$$' -test.benchtime 300x; done | tee bin/bench-workerpool.txt
	$(BENCHSTAT) -col /agentlib bin/bench-workerpool.txt
	for i in 1 2 3 4 5 6; do ./bin/agentlib.test -test.run '^$$' -test.bench 'Idle10k' -test.benchtime 30x; done | tee bin/bench-idle.txt
	$(BENCHSTAT) -col /agentlib bin/bench-idle.txt

bench-bomb: ## Peak RSS of the built binary under parallel gzip bombs (HTTP and gRPC) at 32, 128 and 512 MiB budgets.
	SPANTOP_BOMB_BUDGETS=32MiB,128MiB,512MiB $(GO) test -count=1 -run 'GzipBombs' -v ./cmd/spantop | grep -E 'bomb|max-memory|PASS|FAIL|ok'

# Every fuzz target of spantop's decoders and reassembly, FUZZTIME each
# (go test -fuzz takes one target at a time).
FUZZTIME ?= 20s
# New inputs are minimised for at most this long (go test defaults to 60s,
# which would stall a short run).
FUZZMINIMIZE ?= 2s
FUZZ_TARGETS := ingest:FuzzDecodeTraces ingest:FuzzDecodeTracesJSON ingest:FuzzDecodeLogs ingest:FuzzDecodeLogsJSON \
	ingest:FuzzDecodeMetrics ingest:FuzzDecodeMetricsJSON ingest:FuzzExportLogs ingest:FuzzExportMetrics ingest:FuzzHTTPBody ingest/otlpjson:FuzzAppendDecodes gotrace:FuzzReassembly gotrace:FuzzOffer gotrace:FuzzGeneration ui:FuzzSanitize

fuzz: ## Run each fuzz target for FUZZTIME (default 20s): decoders of every signal, the HTTP body/gzip path, trace reassembly.
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "== $$pkg $$name"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) ./$$pkg 2>&1) || { echo "$$out" | tail -40; exit 1; }; \
		echo "$$out" | grep -E 'elapsed' | tail -1; \
	done

bench-all: ## Every benchmark (2s each, with allocations).
	$(GO) test -run '^$$' -bench . -benchtime 2s -benchmem -count 1 ./...
	cd agentlib && $(GO) test -run '^$$' -bench . -benchtime 2s -benchmem -count 1 ./...

lint: ## gofmt check, go vet and staticcheck (pinned) in both modules; both build for macOS and Windows.
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt -l found unformatted files:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd agentlib && $(GO) vet ./...
	$(STATICCHECK) ./...
	cd agentlib && $(STATICCHECK) ./...
	GOOS=darwin $(GO) build ./... && GOOS=windows $(GO) build ./...
	cd agentlib && GOOS=darwin $(GO) build ./... && GOOS=windows $(GO) build ./...

# The soak's length and spantop's memory budget during it.
SOAK_TIME   ?= 10m
SOAK_BUDGET ?= 64MiB
soak: ## Not in CI: SOAK_TIME (10m) of mixed traffic (SDK traces, logs, metrics, hostile bodies, agentlib apps coming and going) at SOAK_BUDGET; reports peak RSS, refusals, drops and whether the UI kept answering keys.
	SOAK_TIME=$(SOAK_TIME) SOAK_BUDGET=$(SOAK_BUDGET) $(GO) test -run '^TestSoak$$' -count=1 -timeout 90m -v ./cmd/spantop

fmt: ## Format the code with gofmt.
	gofmt -w .

screenshots: build ## Regenerate screenshots/*.txt and *.png from `spantop demo` in tmux.
	scripts/screenshots.sh

clean: ## Remove build output.
	rm -rf bin
