package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestGoTestCommand(t *testing.T) {
	for _, c := range []struct {
		in   []string
		args []string
		ok   bool
	}{
		{[]string{"go", "test", "./..."}, []string{"./..."}, true},
		{[]string{"/usr/local/go/bin/go", "test"}, []string{}, true},
		{[]string{"go", "vet", "./..."}, nil, false},
		{[]string{"gotest", "test"}, nil, false},
		{[]string{"go"}, nil, false},
	} {
		args, ok := goTestCommand(c.in)
		if ok != c.ok || (ok && !reflect.DeepEqual(args, c.args)) {
			t.Errorf("goTestCommand(%q) = %q, %v", c.in, args, ok)
		}
	}
}

// go test -json's events, echoed as go test without -v prints them: the
// failing subtest under its parent's "--- FAIL" line, passing and skipped
// tests quiet, the package lines kept but the binary's PASS.
func TestGoTestEchoIsGoTestsText(t *testing.T) {
	events := []string{
		`{"Action":"start","Package":"p"}`,
		`{"Action":"run","Package":"p","Test":"TestOK"}`,
		`{"Action":"output","Package":"p","Test":"TestOK","Output":"=== RUN   TestOK\n"}`,
		`{"Action":"output","Package":"p","Test":"TestOK","Output":"    ok_test.go:3: quiet\n"}`,
		`{"Action":"output","Package":"p","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestOK"}`,
		`{"Action":"output","Package":"p","Test":"TestT","Output":"=== RUN   TestT\n"}`,
		`{"Action":"output","Package":"p","Test":"TestT/a","Output":"=== RUN   TestT/a\n"}`,
		`{"Action":"output","Package":"p","Test":"TestT/a","Output":"    t_test.go:9: bad\n"}`,
		`{"Action":"output","Package":"p","Test":"TestT/a","Output":"--- FAIL: TestT/a (0.00s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestT/a"}`,
		`{"Action":"output","Package":"p","Test":"TestT/b","Output":"--- SKIP: TestT/b (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestT/b"}`,
		`{"Action":"output","Package":"p","Test":"TestT","Output":"--- FAIL: TestT (0.00s)\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestT"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\n"}`,
		`{"Action":"output","Package":"p","Output":"FAIL\tp\t0.1s\n"}`,
		`{"Action":"fail","Package":"p"}`,
		`{"Action":"output","Package":"q","Output":"PASS\n"}`,
		`{"Action":"output","Package":"q","Output":"ok  \tq\t0.2s\n"}`,
	}
	want := "--- FAIL: TestT (0.00s)\n    --- FAIL: TestT/a (0.00s)\n        t_test.go:9: bad\nFAIL\nFAIL\tp\t0.1s\nok  \tq\t0.2s\n"
	if got := echoAll(t, nil, events); got != want {
		t.Errorf("echo:\n%s\nwant:\n%s", got, want)
	}
	// -v: every line; -json: the events.
	if got := echoAll(t, []string{"-v", "./..."}, events); !strings.Contains(got, "=== RUN   TestOK\n    ok_test.go:3: quiet\n--- PASS") {
		t.Errorf("-v echo:\n%s", got)
	}
	if got := echoAll(t, []string{"-json"}, events[:1]); got != events[0]+"\n" {
		t.Errorf("-json echo: %q", got)
	}
}

func echoAll(t *testing.T, args, events []string) string {
	var b strings.Builder
	e := newGoTestEcho(&b, args)
	for _, l := range events {
		var ev testEvent
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		e.line([]byte(l), &ev)
	}
	return b.String()
}
