package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// TestTemplateJSON checks that the json function prints <, > and & as
// they are, as docker's does.
func TestTemplateJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Template(&b, `{{json .}}`, map[string]string{"tag": "<none>", "q": "a&b"}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), `{"q":"a&b","tag":"<none>"}`+"\n"; got != want {
		t.Errorf("json = %q, want %q", got, want)
	}
}

// TestRowTemplates checks docker's per-row templates: one run per row,
// \t and \n in the text, a "table" header made of the column names
// (every function returning its argument), and {{json .}} per row.
func TestRowTemplates(t *testing.T) {
	id := digest.FromString("config")
	rows := []ImageRow{
		{Repository: "a", Tag: "1", ImageID: id, Created: "2024-01-04T00:00:00Z", Size: 22016, Platform: "linux/amd64"},
		{Repository: "b", Tag: "<none>", ImageID: id, Created: "2024-01-04T00:00:00Z", Size: 8704, Platform: "linux/arm64"},
	}
	opts := TableOptions{Now: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	tests := []struct {
		format, want string
	}{
		{`{{.Repository}}:{{.Tag}} {{.ID}}`, "a:1 " + id.Encoded()[:12] + "\nb:<none> " + id.Encoded()[:12] + "\n"},
		{`{{.Repository}}\t{{.Size}}`, "a\t22kB\nb\t8.7kB\n"},
		{`table {{upper .Repository}}\t{{.Platform}}\t{{.CreatedAt}}`,
			"REPOSITORY   PLATFORM      CREATED AT\nA            linux/amd64   2024-01-04 00:00:00 +0000 UTC\nB            linux/arm64   2024-01-04 00:00:00 +0000 UTC\n"},
		{`json`, `{"CreatedAt":"2024-01-04 00:00:00 +0000 UTC","CreatedSince":"2 years ago","Digest":"<none>","ID":"` + id.Encoded()[:12] +
			`","Platform":"linux/amd64","Repository":"a","Size":"22kB","Tag":"1"}` + "\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := ImagesTemplate(&b, tt.format, rows, opts); err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		got := b.String()
		if tt.format == "json" {
			got = strings.SplitAfter(got, "\n")[0]
		}
		if got != tt.want {
			t.Errorf("--format %q:\n%s\nwant:\n%s", tt.format, got, tt.want)
		}
	}
	var b bytes.Buffer
	if err := ImagesTemplate(&b, `{{.Nope}}`, rows, opts); err == nil {
		t.Errorf("a field docker lacks is not refused")
	}
}

// TestPlatformColumn checks that the images table shows PLATFORM only
// when the rows are of several platforms.
func TestPlatformColumn(t *testing.T) {
	for _, tt := range []struct {
		platforms []string
		want      bool
	}{{[]string{"linux/amd64", "linux/amd64"}, false}, {[]string{"linux/amd64", "linux/arm64"}, true}} {
		var rows []ImageRow
		for _, p := range tt.platforms {
			rows = append(rows, ImageRow{Repository: "a", Tag: "1", Platform: p})
		}
		var b bytes.Buffer
		if err := Images(&b, rows, TableOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "PLATFORM"); got != tt.want {
			t.Errorf("%v: PLATFORM column %v, want %v:\n%s", tt.platforms, got, tt.want, b.String())
		}
	}
}
