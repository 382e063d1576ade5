package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	in := "plain \x1b[1;38;5;196mred<b>\x1b[0m \x1b[38;2;1;2;3;48;5;21mrgb\x1b[m \x1b[7mrev\x1b[27m ⏹ \x1b]8;;http://x\x07link\x1b]8;;\x07\n"
	var out bytes.Buffer
	if err := convert(strings.NewReader(in), &out, 80, "t"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`plain <span style="color:#ff0000;font-weight:bold;">red&lt;b&gt;</span>`,
		`<span style="color:#010203;background:#0000ff;">rgb</span>`,
		`<span style="color:#1c1c1c;background:#d0d0d0;">rev</span>`,
		`<span class="c">⏹</span>`,
		` link`,
		`width: 80ch`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b") {
		t.Errorf("escape left in output: %q", got)
	}
}

func TestColor256(t *testing.T) {
	for n, want := range map[int]string{1: "#cc6666", 16: "#000000", 21: "#0000ff", 196: "#ff0000", 231: "#ffffff", 232: "#080808", 255: "#eeeeee"} {
		if got := color256(n); got != want {
			t.Errorf("color256(%d) = %s, want %s", n, got, want)
		}
	}
}
