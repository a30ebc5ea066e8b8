package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes a name taken from an archive safe to print on a terminal:
// a path inside a layer may hold any byte, including escape sequences
// that would redraw the screen or fake a line of the report. Printable
// characters stay as they are; a backslash, the C escapes (\n, \t, ...)
// and any other control or non-printable character (invalid UTF-8
// included) are written as in C and GNU tar's listings: \\, \n, \033,
// \u202e. Distinct names stay distinct.
func Escape(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\%03o`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x80 && cEscapes[r] != "":
			b.WriteString(cEscapes[r])
		case r < 0x80 && (r < 0x20 || r == 0x7f):
			fmt.Fprintf(&b, `\%03o`, r)
		case r >= 0x80 && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

var cEscapes = [0x80]string{'\a': `\a`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '\v': `\v`}

// isPlain reports whether s is printable ASCII without a backslash, the
// common case, which needs no copy.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
