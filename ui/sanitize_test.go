package ui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain ascii":           "plain ascii",
		"":                      "",
		"clear\x1b[2Jscreen":    "clear�[2Jscreen",
		"cr\rreturn":            "cr�return",
		"back\bspace":           "back�space",
		"bell\x07":              "bell�",
		"nul\x00":               "nul�",
		"del\x7f":               "del�",
		"tab\there":             "tab here",
		"new\nline":             "new�line",
		"c1 byte \x9b31m":       "c1 byte �31m",
		"c1 rune \u009b31m":     "c1 rune �31m",
		"nel \u0085":            "nel �",
		"bidi \u202eevil":       "bidi �evil",
		"isolate \u2066x\u2069": "isolate �x�",
		"osc \x1b]0;title\x07":  "osc �]0;title�",
		"héllo wörld µs":        "héllo wörld µs",
		"日本語":                   "日本語",
		"bad utf8 \xff\xfe":     "bad utf8 ��",
	} {
		got := sanitize(in)
		if got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("sanitize(%q) is not valid UTF-8", in)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Errorf("sanitize(%q) kept control %U", in, r)
			}
		}
		if strings.ContainsRune(got, '\x1b') {
			t.Errorf("sanitize(%q) kept ESC", in)
		}
	}
}

func TestSanitizeDoesNotAllocateForASCII(t *testing.T) {
	s := "GET /api/items/{id}"
	if n := testing.AllocsPerRun(100, func() { _ = sanitize(s) }); n != 0 {
		t.Errorf("%v allocations for plain ASCII", n)
	}
}

func FuzzSanitize(f *testing.F) {
	f.Add("\x1b[2J\r\b\x9b")
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitize(s)
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unsafeRune(r) {
				t.Fatalf("sanitize(%q) kept %U", s, r)
			}
		}
	})
}
