package ui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/spantop/spantop/model"
)

// This file shows what keeps data from arriving: the bad requests spantop
// refused (their count, the last few with their client and what to change)
// and, while nothing has arrived, where spantop listens and how to point
// an SDK at it.

// badRequestSource is the part of a Source that knows the bad requests;
// *model.Model has it.
type badRequestSource interface {
	BadRequests() (counts [model.BadReasons]int64, recent []model.BadRequest)
}

// badRequests returns the counts by reason and the last few bad requests,
// newest first (none when the source does not count them).
func (a *App) badRequests() (counts [model.BadReasons]int64, recent []model.BadRequest) {
	if s, ok := a.src.(badRequestSource); ok {
		return s.BadRequests()
	}
	return counts, nil
}

// badRequestLines describes the last bad requests, one or two lines each:
// when, from where, what, and the sentence that says what to change.
func (a *App) badRequestLines(indent string) []string {
	counts, recent := a.badRequests()
	if len(recent) == 0 {
		return nil
	}
	var by []string
	for r, n := range counts {
		if n > 0 {
			by = append(by, fmtCount(n)+" "+model.BadReason(r).String())
		}
	}
	out := []string{indent + "bad requests (" + strings.Join(by, ", ") + "), newest first:"}
	for _, r := range recent {
		out = append(out, indent+"  "+r.Time.Format("15:04:05")+" "+sanitize(r.Client)+"  "+r.Reason.String()+": "+sanitize(r.Detail))
		if r.Hint != "" {
			// The hint is what to change: whole, wrapped to the screen.
			pad := indent + "      "
			hint := ansi.Wordwrap(sanitize(r.Hint), max(a.width-len(pad)-4, 20), "")
			for i, l := range strings.Split(hint, "\n") {
				if i == 0 {
					out = append(out, indent+"    → "+l)
				} else {
					out = append(out, pad+l)
				}
			}
		}
	}
	return out
}

// waitingText is the empty tasks view before anything arrived: where
// spantop listens and the environment that points an SDK at it, per
// protocol, then the bad requests if some came.
func (a *App) waitingText() string {
	lines := []string{"no spans yet. Point an OpenTelemetry SDK at spantop:"}
	grpcAddr, httpAddr := listenAddrs(a.opts.Listen)
	scheme := "http://"
	if strings.Contains(a.opts.Listen, "tls") {
		scheme = "https://"
	}
	if grpcAddr != "" {
		lines = append(lines, "  OTLP/gRPC on "+grpcAddr+":",
			"    OTEL_EXPORTER_OTLP_ENDPOINT="+scheme+grpcAddr,
			"    OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
			"    a Go app with agentlib: SPANTOP_ENDPOINT="+grpcAddr)
	}
	if httpAddr != "" {
		lines = append(lines, "  OTLP/HTTP on "+httpAddr+" (POST /v1/traces, /v1/logs, /v1/metrics):",
			"    OTEL_EXPORTER_OTLP_ENDPOINT="+scheme+httpAddr,
			"    OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf (or http/json)")
	}
	if grpcAddr == "" && httpAddr == "" && a.opts.Listen != "" {
		lines = append(lines, "  "+sanitize(a.opts.Listen))
	}
	lines = append(lines, "  or run the app under spantop: spantop run -- ./app")
	if bad := a.badRequestLines(""); len(bad) > 0 {
		lines = append(append(lines, ""), bad...)
	}
	return strings.Join(lines, "\n")
}

// listenAddrs reads the gRPC and HTTP addresses from the header's
// "grpc ADDR  http ADDR" (after the protection note, if any).
func listenAddrs(listen string) (grpcAddr, httpAddr string) {
	f := strings.Fields(sanitize(listen))
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "grpc":
			grpcAddr = f[i+1]
		case "http":
			httpAddr = f[i+1]
		}
	}
	return grpcAddr, httpAddr
}

// badNote is the warnings line's mention of bad requests.
func (a *App) badNote() string {
	if a.hdr.BadRequests == 0 {
		return ""
	}
	return "  " + a.st.bad.r(plural(int(min(a.hdr.BadRequests, 1<<31)), "bad request"))
}
