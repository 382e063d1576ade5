package ingest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spantop/spantop/model"
)

// TestFloodOfUniqueLongStrings sends OTLP/JSON requests each carrying one
// span with a unique 1 MB name and a unique long attribute key, as a
// hostile client might. The budget must hold throughout, no span answered
// OK may be dropped (the model refuses at the door instead: 429), and once
// the flood stops ordinary spans are accepted and stored again.
func TestFloodOfUniqueLongStrings(t *testing.T) {
	const budget = 32 << 20
	m := model.New(model.Config{MaxMemory: budget, MaxString: 256 << 10, Retain: time.Hour})
	q := NewQueue(0, m.Counters())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx, q.C()); close(done) }()
	defer func() { cancel(); q.Close(); <-done }()
	s := NewServer(Config{HTTPAddr: "127.0.0.1:0"}, m.Symbols(), m.Counters(), q)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	url := "http://" + s.HTTPAddr() + "/v1/traces"
	post := func(i int, name, key string) int {
		now := time.Now().UnixNano()
		body := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"flood"}}]},`+
			`"scopeSpans":[{"spans":[{"traceId":"%032x","spanId":"%016x","name":%q,"startTimeUnixNano":"%d","endTimeUnixNano":"%d",`+
			`"attributes":[{"key":%q,"value":{"stringValue":"v"}}]}]}]}]}`, i+1, i+1, name, now-1e6, now, key)
		resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	long := strings.Repeat("n", 1<<20)
	ok, refused := 0, 0
	for i := range 200 {
		switch code := post(i, fmt.Sprintf("%d%s", i, long), fmt.Sprintf("k%d%s", i, long[:64<<10])); code {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("request %d: status %d", i, code)
		}
		if h := m.Header(); h.MemoryUsed > budget {
			t.Fatalf("after %d requests memory %d > budget %d", i+1, h.MemoryUsed, budget)
		}
	}
	t.Logf("flood: %d answered OK, %d refused; header %+v", ok, refused, m.Header())
	if refused == 0 {
		t.Error("nothing refused: the flood should have met the budget")
	}
	if h := m.Header(); h.Dropped != 0 {
		t.Errorf("%d spans dropped after OK", h.Dropped)
	}
	if h := m.Header(); h.Truncated == 0 {
		t.Error("the cut names are not counted")
	}
	// Ordinary spans are accepted again once the flood's strings are reclaimed.
	deadline := time.Now().Add(20 * time.Second)
	for i := 1000; ; i++ {
		if post(i, "ordinary", "k") == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ordinary spans still refused after the flood: %+v", m.Header())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for start := time.Now(); ; {
		if p := m.Tasks(model.Query{Sort: model.TaskID, Filter: "name=ordinary", Limit: 5}); p.Total > 0 {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the ordinary span was accepted but not stored")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if h := m.Header(); h.MemoryUsed > budget || h.Dropped != 0 {
		t.Fatalf("after the flood: %+v", h)
	}
}
