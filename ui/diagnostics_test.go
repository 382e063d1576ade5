package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// badFake is a source that counts bad requests.
type badFake struct {
	*fakeSource
	recent []model.BadRequest
}

func (b *badFake) BadRequests() (counts [model.BadReasons]int64, recent []model.BadRequest) {
	for _, r := range b.recent {
		counts[r.Reason]++
	}
	return counts, b.recent
}

func TestEmptyScreenSaysWhereToSendAndWhatWentWrong(t *testing.T) {
	f := newFake(0)
	f.tasks, f.ops = nil, nil
	f.hdr.Received, f.hdr.Spans = 0, 0
	src := &badFake{fakeSource: f}
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		a := newApp(t, src, Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, size[0], size[1])
		s := plain(a)
		for _, want := range []string{
			"OTLP/gRPC on 127.0.0.1:4317", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc",
			"SPANTOP_ENDPOINT=127.0.0.1:4317",
			"OTLP/HTTP on 127.0.0.1:4318", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("%dx%d: the empty screen does not say %q:\n%s", size[0], size[1], want, s)
			}
		}
		if strings.Contains(s, "bad request") {
			t.Errorf("bad requests mentioned before any:\n%s", s)
		}
		checkFrame(t, a, size[0], size[1])
	}

	// A misconfigured exporter: its requests show, with what to change.
	src.recent = []model.BadRequest{{Time: time.Unix(1_700_000_000, 0), Reason: model.BadPath, Client: "127.0.0.1:50123",
		Detail: "POST /", Hint: "a base URL was used as a signal URL"}}
	f.hdr.BadRequests = 1
	a := newApp(t, src, Options{Listen: "grpc 127.0.0.1:4317  http 127.0.0.1:4318"}, 200, 50)
	s := plain(a)
	for _, want := range []string{"bad requests 1", "1 bad request", "bad requests (1 path)", "127.0.0.1:50123  path: POST /", "→ a base URL was used as a signal URL"} {
		if !strings.Contains(s, want) {
			t.Errorf("the screen does not say %q:\n%s", want, s)
		}
	}
	// Once spans flow, the warnings panel keeps them.
	press(a, "W")
	if s := plain(a); !strings.Contains(s, "127.0.0.1:50123  path: POST /") {
		t.Errorf("the warnings panel does not list the bad request:\n%s", s)
	}
}
