package report

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzEscape: whatever an archive string holds, Escape leaves no control,
// format or separator character, changes nothing else it need not
// (printable ASCII stays as it is), and is idempotent; the text report and
// a template printing the string print no raw control either.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"busybox:latest", evil, "\xff\xfe", "a\u202eb", "\u0085\u2028", `\x1b`, "{{.}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		for _, r := range e {
			if unsafeRune(r) {
				t.Fatalf("Escape(%q) = %q holds %U", s, e, r)
			}
		}
		if Escape(e) != e {
			t.Fatalf("Escape(%q) = %q, not idempotent: %q", s, e, Escape(e))
		}
		if isPrintableASCII(s) && e != s {
			t.Fatalf("Escape(%q) = %q changed printable ASCII", s, e)
		}
		res := twoImages()
		res.Images[0].RepoTags = []string{s}
		res.Images[0].Platform = s
		res.Findings[0].Message = s
		doc := Build(res, Options{Command: "verify", Image: -1, Source: s})
		var b bytes.Buffer
		if err := Text(&b, doc); err != nil {
			t.Fatal(err)
		}
		if err := Template(&b, `{{range .Images}}{{.RepoTags}} {{.Platform}} {{index .RepoTags 0}}{{end}}{{range .Findings}}{{.Message}}{{end}}`, doc); err != nil {
			t.Fatal(err)
		}
		for _, r := range b.String() {
			if r != '\n' && r != '\t' && unsafeRune(r) {
				t.Fatalf("output for %q holds %U", s, r)
			}
		}
		if strings.Contains(b.String(), "\nverified") {
			t.Fatalf("output for %q forges a verdict:\n%s", s, b.String())
		}
	})
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
