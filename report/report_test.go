package report

import (
	"bytes"
	"testing"
	"time"
)

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0B"}, {999, "999B"}, {1000, "1kB"}, {22016, "22kB"}, {8704, "8.7kB"},
		{1_590_000_000, "1.59GB"}, {1 << 40, "1.1TB"},
	}
	for _, tt := range tests {
		if got := HumanSize(tt.n); got != tt.want {
			t.Errorf("HumanSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestSince(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		created, want string
	}{
		{"", "N/A"},
		{"not a time", "N/A"},
		{"2026-11-27T11:59:30Z", "Less than a minute ago"},
		{"2026-11-27T11:00:00Z", "1 hour ago"}, {"2026-11-27T11:15:00Z", "45 minutes ago"},
		{"2026-11-26T12:00:00Z", "24 hours ago"},
		{"2026-11-20T12:00:00Z", "7 days ago"},
		{"2026-10-27T12:00:00Z", "4 weeks ago"},
		{"2024-01-04T00:00:00Z", "2 years ago"},
		{"2027-01-01T00:00:00Z", "in the future"},
	}
	for _, tt := range tests {
		if got := since(tt.created, now); got != tt.want {
			t.Errorf("since(%q) = %q, want %q", tt.created, got, tt.want)
		}
	}
}

func TestSplitTag(t *testing.T) {
	tests := []struct{ name, repo, tag string }{
		{"busybox:latest", "busybox", "latest"},
		{"localhost:5000/a/b:v1", "localhost:5000/a/b", "v1"},
		{"localhost:5000/a/b", "localhost:5000/a/b", "latest"},
		{":v1", "<none>", "v1"},
	}
	for _, tt := range tests {
		if repo, tag := splitTag(tt.name); repo != tt.repo || tag != tt.tag {
			t.Errorf("splitTag(%q) = %q, %q; want %q, %q", tt.name, repo, tag, tt.repo, tt.tag)
		}
	}
}

func TestShort(t *testing.T) {
	const d = "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0"
	if got := short(d); got != "sha256:9b45641ae214" {
		t.Errorf("short = %q", got)
	}
	if got := short(""); got != "-" {
		t.Errorf("short(\"\") = %q", got)
	}
	if got := truncate("héllo wörld", 6); got != "héllo…" {
		t.Errorf("truncate = %q", got)
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"usr/bin/env", "usr/bin/env"},
		{"a b", "a b"},
		{"line\nbreak", `line\nbreak`},
		{"\x1b[2Jverified", `\033[2Jverified`},
		{`back\slash`, `back\\slash`},
		{"tab\there", `tab\there`},
		{"del\x7f", `del\177`},
		{"bad\xffutf8", `bad\377utf8`},
		{"caf\u00e9", "caf\u00e9"},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"c1\u0085x", `c1\u0085x`},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := Escape(tt.in)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("Escape(%q) = Escape(%q) = %q", tt.in, other, got)
		}
		seen[got] = tt.in
	}
}

// TestFilesJSONMatchesJSONValue: the streamed JSON of a listing is byte
// for byte what JSONValue writes for the same rows, empty or not.
func TestFilesJSONMatchesJSONValue(t *testing.T) {
	idx := 3
	for _, rows := range [][]FileRow{{}, {{Path: "a<b>&c", Type: "file", Index: &idx}}, {{Path: "d", Type: "dir"}, {Path: "d/e", Type: "symlink", Link: "../x"}}} {
		var want, got bytes.Buffer
		if err := JSONValue(&want, rows); err != nil {
			t.Fatal(err)
		}
		walk := func(yield func(FileRow) error) error {
			for _, r := range rows {
				if err := yield(r); err != nil {
					return err
				}
			}
			return nil
		}
		if err := FilesJSON(&got, walk); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("FilesJSON:\n%s\nJSONValue:\n%s", got.String(), want.String())
		}
	}
}
