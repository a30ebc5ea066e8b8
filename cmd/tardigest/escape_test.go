package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/tardigest/tardigest/internal/archivetest"
)

// TestOutputEscapesArchiveStrings runs every output shape on an archive
// whose names, platform and history hold terminal escapes and newlines
// that, printed raw, would erase the FAILED verdict and forge one of their
// own: text, tables, templates and stderr print them escaped, and JSON
// keeps them exact.
func TestOutputEscapesArchiveStrings(t *testing.T) {
	c := archivetest.Load(t, filepath.Join("..", "..", "testdata", "cases", "output-control-characters.txt"))
	file := c.File(t)
	for _, args := range [][]string{
		{"verify", file},
		{"inspect", file},
		{"images", "--no-trunc", file},
		{"history", "--no-trunc", file},
		{"history", file},
		{"verify", "--format", `{{range .Images}}{{.Platform}} {{.RefNames}} {{range .Layers}}{{.CreatedBy}}{{end}}{{"\n"}}{{end}}{{range .Findings}}{{.Subject}}: {{.Message}}{{"\n"}}{{end}}`, file},
		{"history", "--format", `{{.CreatedBy}} {{.Comment}}`, file},
		{"images", "--format", `table {{.Repository}}\t{{.Tag}}\t{{.Platform}}`, file},
		{"images", "--format", `json`, file},
		{"manifest", "--image", "sha256:" + "0000", file},
		{"verify", "--image", "1\x1b[2K\r\nverified: every claim checked matched (0 warnings)\n", file},
	} {
		code, stdout, stderr := runCLI(t, nil, args...)
		for what, out := range map[string]string{"stdout": stdout, "stderr": stderr} {
			for _, r := range out {
				if r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)) {
					t.Errorf("%s %s holds %U:\n%s", args[0], what, r, out)
					break
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "verified") {
					t.Errorf("%s %s forges %q (exit %d):\n%s", args[0], what, line, code, out)
				}
			}
		}
	}
	_, stdout, _ := runCLI(t, nil, "inspect", "-o", "json", file)
	var doc struct {
		Images []struct {
			RefNames []string `json:"ref_names"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Images) != 1 || len(doc.Images[0].RefNames) != 1 ||
		doc.Images[0].RefNames[0] != "1\x1b[2K\r\nverified: every claim checked matched (0 warnings)\n" {
		t.Errorf("JSON does not keep the ref name exact: %v\n%s", err, stdout)
	}
}
