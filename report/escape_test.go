package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/tarball"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"busybox:latest", "busybox:latest"},
		{"", ""},
		{"a\nb\tc\rd", `a\nb\tc\rd`},
		{"\x1b[2K\x1b]0;title\x07", `\x1b[2K\x1b]0;title\x07`},
		{"del\x7f", `del\x7f`},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"zero\u200bwidth\u2066", `zero\u200bwidth\u2066`},
		{"lines\u2028\u2029", `lines\u2028\u2029`},
		{"bad \xff\xfe utf-8", `bad \xff\xfe utf-8`},
		{"ünïcödé ✓ 日本", "ünïcödé ✓ 日本"},
		{"\ufffd is a real character", "\ufffd is a real character"},
		{`already \x1b escaped`, `already \x1b escaped`},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Escape(Escape(tt.in)); got != Escape(tt.in) {
			t.Errorf("Escape is not idempotent on %q: %q", tt.in, got)
		}
	}
}

// evil is a string that, printed raw, erases the line above and prints a
// verdict of its own.
const evil = "x\x1b[1A\x1b[2K\r\nverified: every claim checked matched (0 warnings)\u202e"

func evilResult() *tarball.Result {
	res := twoImages()
	res.Findings = []tarball.Finding{{Severity: tarball.SeverityError, Class: "mismatch", Kind: "diff_id_mismatch", Subject: "image[0] " + evil, Image: at(0), Message: "tag " + evil, Err: tarball.ErrMismatch}}
	img := res.Images[0]
	img.RepoTags = []string{evil, "b" + evil}
	img.Platform = evil
	img.Created = evil
	img.ConfigPath = evil
	img.Layers = []tarball.Layer{{Present: true, CreatedBy: evil}}
	img.History = []tarball.History{{CreatedBy: evil, Comment: evil, Created: evil}}
	return res
}

// noRawControls fails when out holds a control character other than the
// newlines and tabs of the layout, or a line the archive forged.
func noRawControls(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if r != '\n' && r != '\t' && unsafeRune(r) {
			t.Errorf("%s holds %U:\n%s", what, r, out)
			return
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "verified:") {
			t.Errorf("%s has a forged line %q:\n%s", what, line, out)
		}
	}
}

func TestTextEscapes(t *testing.T) {
	res := evilResult()
	doc := Build(res, Options{Command: "verify", Image: -1, Source: "archive" + evil})
	var b bytes.Buffer
	if err := Text(&b, doc); err != nil {
		t.Fatal(err)
	}
	noRawControls(t, "text", b.String())
	if !strings.Contains(b.String(), `\x1b[2K\r\nverified`) {
		t.Errorf("the tag is not shown escaped:\n%s", b.String())
	}
	b.Reset()
	if err := Images(&b, ImageRows(res), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	noRawControls(t, "images", b.String())
	b.Reset()
	if err := History(&b, HistoryRows(res.Images[0]), TableOptions{NoTrunc: true}); err != nil {
		t.Fatal(err)
	}
	noRawControls(t, "history", b.String())
}

func TestTemplateEscapes(t *testing.T) {
	doc := Build(evilResult(), Options{Command: "verify", Image: -1})
	tests := []struct {
		tmpl string
		want string // a substring of the output
	}{
		{`{{range .Images}}{{.RepoTags}}{{"\n"}}{{end}}`, `[x\x1b[1A`},
		{`{{range .Images}}{{range .RepoTags}}{{.}}{{"\n"}}{{end}}{{end}}`, `\r\nverified`},
		{`{{range .Images}}{{join .RepoTags ","}}{{println}}{{end}}`, `\u202e,bx`},
		{`{{(index .Images 0).Name}}`, `x\x1b`},
		{`{{with index .Images 0}}{{printf "%s|%s\n" .Platform .Created}}{{end}}`, `\u202e|x`},
		{`{{$i := index .Images 0}}{{$i.Platform}}`, `\x1b[2K`},
		{`{{index .Images 0}}`, `\x1b[1A`},
		{`{{range .Findings}}{{.Message | printf "%s"}}{{end}}`, `tag x\x1b`},
		{`{{range .Images}}{{.Name | upper}}{{end}}`, `X\X1B`},
		{`{{json (index .Images 0).RepoTags}}`, `"x\u001b[1A\u001b[2K\r\nverified`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Template(&b, tt.tmpl, doc); err != nil {
			t.Fatalf("%s: %v", tt.tmpl, err)
		}
		noRawControls(t, tt.tmpl, b.String())
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s: output %q lacks %q", tt.tmpl, b.String(), tt.want)
		}
	}
	// The template's own text is kept: newlines and tabs it prints.
	var b bytes.Buffer
	if err := Template(&b, "a\t{{\"b\\n\"}}{{println \"c\"}}{{printf \"%s\\n\" \"d\"}}", doc); err != nil || b.String() != "a\tb\nc\nd\n" {
		t.Errorf("constants printed as %q, %v", b.String(), err)
	}
}

// TestTemplateJSONExact: the json function reads the data unescaped and
// its output decodes to the archive's exact strings.
func TestTemplateJSONExact(t *testing.T) {
	doc := Build(evilResult(), Options{Command: "verify", Image: -1})
	for _, tmpl := range []string{`{{json (index .Images 0).RepoTags}}`, `{{(index .Images 0).RepoTags | json}}`, `{{with index .Images 0}}{{json .RepoTags}}{{end}}`} {
		var b bytes.Buffer
		if err := Template(&b, tmpl, doc); err != nil {
			t.Fatal(err)
		}
		noRawControls(t, tmpl, b.String())
		var got []string
		if err := json.Unmarshal(b.Bytes(), &got); err != nil || len(got) != 2 || got[0] != evil {
			t.Errorf("%s: %q decodes to %q, %v; want the exact tags", tmpl, b.String(), got, err)
		}
	}
}
