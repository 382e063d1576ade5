package ui

import (
	"strings"
	"unicode/utf8"
)

// replacement is drawn in place of anything that could move the cursor,
// change colours or reorder text.
const replacement = '\uFFFD'

// sanitize makes a string received from the wire safe to draw: C0 controls
// (except tab, which becomes a space), DEL, C1 controls, invalid UTF-8 and the
// bidirectional overrides and isolates are replaced by U+FFFD. An escape
// sequence is thus shown as "�[2J" instead of clearing the screen. Strings
// of printable ASCII, the common case, are returned without allocating.
func sanitize(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		if c == '\t' {
			b.WriteByte(' ')
			i++
			continue
		}
		if c < 0x80 { // other C0 controls and DEL
			b.WriteRune(replacement)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || unsafeRune(r) {
			b.WriteRune(replacement)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// unsafeRune reports runes above ASCII that must not reach the terminal.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls, e.g. U+009B (CSI)
		return true
	case r >= 0x202a && r <= 0x202e: // bidi embeddings and overrides
		return true
	case r >= 0x2066 && r <= 0x2069: // bidi isolates
		return true
	case r == 0x200e || r == 0x200f || r == 0x061c: // direction marks
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}
