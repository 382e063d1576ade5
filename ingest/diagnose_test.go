package ingest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/spantop/spantop/model"
)

// Every kind of bad request is counted by reason, kept with its client
// address and, for the common mistakes, a sentence that says what to change.
func TestBadRequestsAreCountedWithTheirClientAndAHint(t *testing.T) {
	s, _, _, c := testServer(t, Config{MaxMessage: 1 << 10})
	base := "http://" + s.HTTPAddr()
	valid := marshal(t, request(span("ok")))
	for _, tc := range []struct {
		name   string
		send   func(t *testing.T)
		reason model.BadReason
		hint   string // a piece of the hint; "" when none is expected
	}{
		{"a base URL used as the traces URL", func(t *testing.T) {
			post(t, base+"/", "application/x-protobuf", valid, http.StatusNotFound)
		}, model.BadPath, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=" + base + "/v1/traces"},
		{"/v1/traces added twice", func(t *testing.T) {
			post(t, base+"/v1/traces/v1/traces", "application/x-protobuf", valid, http.StatusNotFound)
		}, model.BadPath, "added twice"},
		{"a prefix before /v1/traces", func(t *testing.T) {
			post(t, base+"/otlp/v1/traces", "application/x-protobuf", valid, http.StatusNotFound)
		}, model.BadPath, "base URL"},
		{"a GET", func(t *testing.T) {
			resp, err := http.Get(base + "/v1/traces")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}, model.BadMethod, "POST"},
		{"an unknown content type", func(t *testing.T) {
			post(t, base+"/v1/traces", "text/plain", valid, http.StatusUnsupportedMediaType)
		}, model.BadContentType, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"},
		{"a malformed body", func(t *testing.T) {
			post(t, base+"/v1/traces", "application/x-protobuf", []byte{0xff, 0xff, 0xff}, http.StatusBadRequest)
		}, model.BadBody, ""},
		{"a body over --max-message", func(t *testing.T) {
			post(t, base+"/v1/traces", "application/x-protobuf", bytes.Repeat([]byte{0}, 2<<10), http.StatusRequestEntityTooLarge)
		}, model.BadTooLarge, "--max-message"},
		{"a TLS client on a plain port", func(t *testing.T) {
			raw(t, s.HTTPAddr(), []byte{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01})
		}, model.BadProtocol, "https://"},
		{"bytes that are neither HTTP nor gRPC", func(t *testing.T) {
			raw(t, s.GRPCAddr(), []byte("\x00\x01hello\n"))
		}, model.BadProtocol, "neither HTTP nor gRPC"},
		{"an unknown gRPC method", func(t *testing.T) {
			cc, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = cc.Invoke(ctx, "/jaeger.api_v2.CollectorService/PostSpans", &emptypb.Empty{}, &emptypb.Empty{})
			if err == nil || !strings.Contains(err.Error(), "OTLP") {
				t.Fatalf("unknown method answered %v", err)
			}
		}, model.BadPath, "Jaeger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Bad.Count(tc.reason)
			tc.send(t)
			waitFor(t, "the bad request counted", func() bool { return c.Bad.Count(tc.reason) == before+1 })
			last := c.Bad.Recent()[0]
			if last.Reason != tc.reason || !strings.HasPrefix(last.Client, "127.0.0.1:") || last.Detail == "" {
				t.Fatalf("last bad request %+v", last)
			}
			if !strings.Contains(last.Hint, tc.hint) {
				t.Errorf("hint %q, want it to say %q", last.Hint, tc.hint)
			}
		})
	}
	// A good request and a connection that closes unused are not bad.
	total := c.Bad.Total()
	post(t, base+"/v1/traces", "application/x-protobuf", valid, http.StatusOK)
	raw(t, s.HTTPAddr(), nil)
	time.Sleep(50 * time.Millisecond)
	if c.Bad.Total() != total {
		t.Fatalf("bad requests %d after good ones, want %d: %+v", c.Bad.Total(), total, c.Bad.Recent())
	}
}

func post(t *testing.T, url, ct string, body []byte, want int) {
	t.Helper()
	resp, err := http.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d", url, resp.StatusCode, want)
	}
}

// raw opens a connection, writes b and closes it.
func raw(t *testing.T, addr string, b []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		var buf [512]byte
		_, _ = conn.Read(buf[:]) // the answer, if any
	}
	conn.Close()
}

func TestBadRequestsKeepTheLastFewAndLogWithinABound(t *testing.T) {
	var b model.BadRequests
	var logged []string
	var skippedSeen int64
	b.SetLog(func(r model.BadRequest, skipped int64) {
		logged = append(logged, r.Detail)
		skippedSeen += skipped
	})
	at := time.Unix(1_700_000_000, 0)
	for i := range 12 {
		b.Add(model.BadRequest{Time: at, Reason: model.BadPath, Client: "127.0.0.1:1", Detail: string(rune('a' + i))})
	}
	b.Add(model.BadRequest{Time: at.Add(time.Second), Reason: model.BadBody, Detail: "next second"})
	if b.Total() != 13 || b.Count(model.BadPath) != 12 {
		t.Fatalf("counts %d %d", b.Total(), b.Count(model.BadPath))
	}
	r := b.Recent()
	if len(r) != 5 || r[0].Detail != "next second" || r[1].Detail != "l" {
		t.Fatalf("recent %+v", r)
	}
	if len(logged) != 6 || skippedSeen != 7 {
		t.Fatalf("logged %q with %d skipped, want 5 a second and the 7 left out counted", logged, skippedSeen)
	}
}
