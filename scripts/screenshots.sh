#!/usr/bin/env bash
# Regenerates screenshots/<view>.txt (plain text, `tmux capture-pane -p`) and
# screenshots/<view>.png (colours: capture-pane -e → scripts/ansi2html →
# headless Chromium) from `spantop demo` running in tmux at 200x50 and 80x24.
#
# Usage: make screenshots   (or BIN=path/to/spantop scripts/screenshots.sh)
# Installs tmux, chromium and fonts-dejavu-core with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin/spantop}
OUT=screenshots
WARMUP=${WARMUP:-40} # seconds of demo traffic before the first capture (leak warnings need ~35s: a rising count over 30s, waits over 10s)

apt_install() {
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	echo "screenshots: installing $*" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

command -v tmux >/dev/null 2>&1 || apt_install tmux
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
	apt_install chromium fonts-dejavu-core
	CHROME=$(command -v chromium)
fi
if ! fc-list 2>/dev/null | grep -q "DejaVu Sans Mono"; then
	apt_install fonts-dejavu-core
fi
# DejaVu has ▶ and ✗ but not ⏸ ⏹ (U+23F8, U+23F9); Symbola has them.
if [ -z "$(fc-list ':charset=23f9' family 2>/dev/null)" ]; then
	apt_install fonts-symbola
fi
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/spantop

work=$(mktemp -d)
sock="$work/tmux.sock"
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/ansi2html" ./scripts/ansi2html
mkdir -p "$OUT"

# The default ports when they are free (so the header shows what a user
# sees), otherwise any free ones.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
GRPC=127.0.0.1:4317 HTTP=127.0.0.1:4318
if listening 4317 || listening 4318; then GRPC=127.0.0.1:0 HTTP=127.0.0.1:0; fi

t() { tmux -S "$sock" "$@"; }

start() { # session cols rows
	t new-session -d -s "$1" -x "$2" -y "$3" -e TERM=xterm-256color -e COLORTERM=truecolor -e NO_COLOR= \
		"$BIN demo --grpc $GRPC --http $HTTP --log $work/$1.log"
}

keys() { # session keys...
	local s=$1
	shift
	t send-keys -t "$s" "$@"
	sleep 0.7
}

shot() { # session name cols rows
	local s=$1 name=$2 cols=$3 rows=$4
	t capture-pane -p -t "$s" >"$OUT/$name.txt"
	t capture-pane -e -p -t "$s" | "$work/ansi2html" -cols "$cols" -title "spantop $name" >"$work/$name.html"
	# DejaVu Sans Mono at 14px: ~8.43px per cell, 17px per line, 8px padding.
	local w=$((cols * 843 / 100 + 20)) h=$((rows * 17 + 16))
	"$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")" \
		--screenshot="$PWD/$OUT/$name.png" --window-size="$w,$h" "file://$work/$name.html" >/dev/null 2>&1
	echo "screenshots: $OUT/$name.txt $OUT/$name.png"
}

# ONLY=replay regenerates the replay captures alone.
if [ "${ONLY:-}" != replay ]; then
# Wide terminal: every view.
start wide 200 50
sleep "$WARMUP"
keys wide g
shot wide tasks 200 50
keys wide o
shot wide operations 200 50
keys wide t
keys wide / "service=payments status=error" Enter
keys wide g Enter
shot wide details 200 50
keys wide w
shot wide trace 200 50
keys wide t
keys wide Escape
keys wide T
shot wide tree 200 50
keys wide T
keys wide o
keys wide Enter
shot wide opdetails 200 50
keys wide t
keys wide ?
shot wide help 200 50
keys wide ?
# The Go runtime of the demo (it runs agentlib): resources, the hot mutex,
# a leaked goroutine, and the warnings they raise.
keys wide r
keys wide g
shot wide resources 200 50
keys wide / "inventory.stock" Enter
keys wide g Enter
shot wide resource 200 50
keys wide u
keys wide g
shot wide goroutines 200 50
keys wide / "name=carrier-ack" Enter
keys wide g Enter
shot wide goroutine 200 50
keys wide u
keys wide Escape
keys wide x
keys wide g
shot wide traces 200 50
keys wide t
keys wide W
shot wide warnings 200 50
keys wide W
# Logs and metrics: the live tail, a record, its span with its logs, the
# metrics and a histogram's chart.
keys wide L
shot wide logs 200 50
keys wide / "severity>=warn" Enter
keys wide Enter
shot wide logrecord 200 50
keys wide Enter
keys wide NPage
shot wide spanlogs 200 50
keys wide M
keys wide g
shot wide metrics 200 50
keys wide / "shop.request.duration" Enter
keys wide g Enter
shot wide chart 200 50
keys wide q

# Small terminal: the tasks and operations views at 80x24.
start small 80 24
sleep "$WARMUP"
keys small g
shot small tasks-80x24 80 24
keys small o
shot small operations-80x24 80 24
keys small Enter
shot small opdetails-80x24 80 24
keys small t
keys small / 'name="POST /api/checkout"' Enter
keys small g w
shot small trace-80x24 80 24
keys small r
keys small g
shot small resources-80x24 80 24
keys small t
keys small Escape # clears the checkout filter
keys small u
keys small g
shot small goroutines-80x24 80 24
keys small / "name=carrier-ack" Enter
keys small g Enter
shot small goroutine-80x24 80 24
keys small x
keys small g
shot small traces-80x24 80 24
keys small L
shot small logs-80x24 80 24
keys small / "severity>=warn" Enter
keys small Enter
shot small logrecord-80x24 80 24
keys small Enter
keys small G # the end of the page: its events and logs
shot small spanlogs-80x24 80 24
keys small M
keys small g
shot small metrics-80x24 80 24
keys small / "shop.request.duration" Enter
keys small g Enter
shot small chart-80x24 80 24
keys small q
fi

# Replay with the scrubber: record the demo, then replay the recording,
# paused after a jump back, at 200x50 and 80x24.
t new-session -d -s rec -x 200 -y 50 -e TERM=xterm-256color \
	"$BIN demo --grpc $GRPC --http $HTTP --log $work/rec.log --record $work/demo.jsonl.gz"
sleep "$WARMUP"
t send-keys -t rec q
sleep 2
replay() { # session cols rows name
	t new-session -d -s "$1" -x "$2" -y "$3" -e TERM=xterm-256color -e COLORTERM=truecolor -e NO_COLOR= \
		"cd $work && $(realpath "$BIN") replay --speed max demo.jsonl.gz"
	waitfor "$1" "REPLAY END" # played to the end, where it pauses
	keys "$1" [ [             # back 20 s: a rebuild from the start
	waitfor "$1" "REPLAY ⏸"
	keys "$1" o g # the operations view
	shot "$1" "$4" "$2" "$3"
	keys "$1" q
}
waitfor() { # session text: up to 60 s
	for _ in $(seq 120); do
		t capture-pane -p -t "$1" | grep -q "$2" && return
		sleep 0.5
	done
	echo "screenshots: $1: no \"$2\" on the screen" >&2
}
replay rwide 200 50 replay
replay rsmall 80 24 replay-80x24
