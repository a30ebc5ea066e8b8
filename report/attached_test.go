package report

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/tarball"
)

// TestAttachedSummary counts what is attached to the image of each
// layout the real tools wrote, and compares the counts with the layout's
// expected.json: one per signature layer, per attestation layer, per
// SBOM manifest and per referrer. The words of the text report and the
// images table say the same counts.
func TestAttachedSummary(t *testing.T) {
	dir := filepath.Join("..", "testdata", "artifacts")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.expected.json"))
	if len(paths) < 8 {
		t.Fatalf("found %d layouts, want 8", len(paths))
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".expected.json")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var exp struct {
			Signatures, Attestations []struct {
				Layers []json.RawMessage `json:"layers"`
			}
			SBOMs     []json.RawMessage `json:"sboms"`
			Referrers []json.RawMessage `json:"referrers"`
		}
		if err := json.Unmarshal(data, &exp); err != nil {
			t.Fatal(err)
		}
		type counts struct{ Signatures, Attestations, SBOMs, Referrers int }
		want := counts{SBOMs: len(exp.SBOMs), Referrers: len(exp.Referrers)}
		for _, s := range exp.Signatures {
			want.Signatures += len(s.Layers)
		}
		for _, s := range exp.Attestations {
			want.Attestations += len(s.Layers)
		}
		res, err := tarball.Open(context.Background(), filepath.Join(dir, name), tarball.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := counts{}
		for _, row := range ImageRows(res) {
			if row.AttachedTo == nil && row.Attached != nil {
				got.Signatures, got.Attestations = row.Attached.Signatures, row.Attached.Attestations
				got.SBOMs, got.Referrers = row.Attached.SBOMs, row.Attached.Referrers
			}
		}
		if got != want {
			t.Errorf("%s: attached %+v, expected.json %+v", name, got, want)
		}
		var text strings.Builder
		if err := Text(&text, Build(res, Options{Command: "inspect", Image: -1, Source: name})); err != nil {
			t.Fatal(err)
		}
		if want.Signatures > 0 && !strings.Contains(text.String(), "signatures: "+strconv.Itoa(want.Signatures)+" (cosign)") {
			t.Errorf("%s: the text report does not say %d signatures:\n%s", name, want.Signatures, text.String())
		}
	}
}
