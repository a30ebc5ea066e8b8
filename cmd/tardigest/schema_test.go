package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/tarball"
)

// schemaDir holds the published JSON Schemas of the JSON output.
const schemaDir = "../../docs/schema/"

// schemaFor names the schema of each command's --output json.
var schemaFor = map[string]string{
	"inspect": "report.schema.json",
	"verify":  "report.schema.json",
	"images":  "images.schema.json",
	"history": "history.schema.json",
	"ls":      "ls.schema.json",
	"layers":  "layers.schema.json",
	"waste":   "waste.schema.json",
}

// realFixtures is the shared corpus of archives made by other tools,
// checked out beside the repository (as for the tarball tests).
const realFixtures = "../../../shared/fixtures/real"

// loadSchemas compiles every schema once, with a real draft 2020-12
// validator.
var loadSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	out := map[string]*jsonschema.Schema{}
	for _, name := range schemaFor {
		if out[name] != nil {
			continue
		}
		s, err := c.Compile(filepath.Join(schemaDir, name))
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
})

// validateJSON checks that out is one JSON value followed by exactly one
// newline, valid against the named schema.
func validateJSON(schema, out string) error {
	schemas, err := loadSchemas()
	if err != nil {
		return err
	}
	if !strings.HasSuffix(out, "}\n") && !strings.HasSuffix(out, "]\n") {
		return fmt.Errorf("JSON output must end with exactly one newline")
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := schemas[schema].Validate(v); err != nil {
		return fmt.Errorf("does not match docs/schema/%s:\n%v", schema, err)
	}
	return nil
}

// jsonSchemaOf returns the schema that the output of a run with args must
// match, or "" when the run does not print JSON: the command is inspect,
// verify, images or history, with --output json (or -o json).
func jsonSchemaOf(args []string) string {
	cmd := ""
	wantJSON := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			if cmd == "" {
				cmd = a
			}
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "o" && name != "output" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			value = args[i]
		}
		wantJSON = value == "json"
	}
	if !wantJSON {
		return ""
	}
	return schemaFor[cmd]
}

// checkJSONOutput validates the stdout of every run that asks for JSON
// output against the published schema. runCLI calls it, so every JSON
// output the tests produce is checked. A run that failed before printing
// has empty stdout, which other tests check.
func checkJSONOutput(t *testing.T, args []string, stdout string) {
	t.Helper()
	schema := jsonSchemaOf(args)
	if schema == "" || stdout == "" {
		return
	}
	if err := validateJSON(schema, stdout); err != nil {
		t.Errorf("tardigest %s: %v", strings.Join(args, " "), err)
	}
}

func TestJSONSchemaOf(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "-o", "json", "a.tar"}, "report.schema.json"},
		{[]string{"verify", "--output", "json", "--expect", "sha256:x", "a.tar"}, "report.schema.json"},
		{[]string{"verify", "--output=json", "a.tar"}, "report.schema.json"},
		{[]string{"images", "-o=json", "a.tar"}, "images.schema.json"},
		{[]string{"history", "--image", "v1", "-o", "json", "a.tar"}, "history.schema.json"},
		{[]string{"inspect", "a.tar"}, ""},
		{[]string{"inspect", "-o", "text", "a.tar"}, ""},
		{[]string{"inspect", "--format", "{{json .}}", "a.tar"}, ""},
		{[]string{"config", "a.tar"}, ""},
		{[]string{"--help"}, ""},
	}
	for _, tt := range tests {
		if got := jsonSchemaOf(tt.args); got != tt.want {
			t.Errorf("jsonSchemaOf(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// runJSON runs one command with --output json, not through runCLI, and
// validates what it prints. It returns stdout, "" when the run failed
// before printing.
func runJSON(t *testing.T, args ...string) string {
	t.Helper()
	args = append([]string{args[0], "--output", "json"}, args[1:]...)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"tardigest"}, args...), bytes.NewReader(nil), &stdout, &stderr, testEnv)
	out := stdout.String()
	switch {
	case code == exitUsage:
		if out != "" {
			t.Errorf("tardigest %s: exit %d with output on stdout", strings.Join(args, " "), code)
		}
		return ""
	case code == exitUnreadable:
		// Scripts always get JSON: the one document that says why.
		if err := validateJSON(schemaFor[args[0]], out); err != nil {
			t.Errorf("tardigest %s: exit 3: %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(out, `"status": "unreadable"`) {
			t.Errorf("tardigest %s: exit 3 without the unreadable document:\n%s", strings.Join(args, " "), out)
		}
		return ""
	case code != exitOK && code != exitMismatch:
		t.Errorf("tardigest %s: exit %d; stderr: %s", strings.Join(args, " "), code, stderr.String())
		return ""
	case out == "" && code == exitMismatch && args[0] != "inspect":
		return "" // ls, layers, waste of an image whose files are not known
	}
	if err := validateJSON(schemaFor[args[0]], out); err != nil {
		t.Errorf("tardigest %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// validateArchive runs inspect, images, and history, layers, ls -R and
// waste (for each image) on path with JSON output and validates each output. It returns how many
// outputs it validated.
func validateArchive(t *testing.T, path string, extra ...string) int {
	t.Helper()
	n := 0
	if runJSON(t, append(append([]string{"inspect"}, extra...), path)...) != "" {
		n++
	}
	rows := runJSON(t, append(append([]string{"images"}, extra...), path)...)
	if rows == "" {
		return n
	}
	n++
	var images []struct {
		ImageID string `json:"image_id"`
		Image   int    `json:"image"`
	}
	if err := json.Unmarshal([]byte(rows), &images); err != nil {
		t.Fatalf("images -o json: %v", err)
	}
	if len(images) == 1 {
		for _, cmd := range [][]string{{"history"}, {"layers"}, {"ls", "-R"}, {"waste"}} {
			if runJSON(t, append(append(cmd, extra...), path)...) != "" {
				n++
			}
		}
		return n
	}
	// Several images: history needs --image; the image ID names each.
	var seen []string
	for _, r := range images {
		if r.ImageID == "" || slices.Contains(seen, r.ImageID) {
			continue
		}
		seen = append(seen, r.ImageID)
		for _, cmd := range [][]string{{"history"}, {"layers"}, {"ls", "-R"}, {"waste"}} {
			if runJSON(t, append(append(append(cmd, "--image", r.ImageID), extra...), path)...) != "" {
				n++
			}
		}
	}
	return n
}

// TestSchemasValidateAllFixtures validates the JSON output of inspect,
// images and history on every archive of testdata/archives, every case of
// testdata/cases (good and hostile) and every archive of the shared corpus.
func TestSchemasValidateAllFixtures(t *testing.T) {
	if _, err := loadSchemas(); err != nil {
		t.Fatal(err)
	}
	t.Run("archives", func(t *testing.T) {
		entries, err := os.ReadDir(archives)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".md") {
				continue
			}
			total += validateArchive(t, archives+name)
		}
		if total < 20 {
			t.Errorf("validated %d outputs from %s, want at least 20", total, archives)
		}
	})
	t.Run("cases", func(t *testing.T) {
		if testing.Short() {
			t.Skip("slow: builds and reads every case file")
		}
		paths := archivetest.Glob(t, filepath.Join("..", "..", "testdata", "cases"))
		if len(paths) < 40 {
			t.Fatalf("found %d case files, want at least 40", len(paths))
		}
		for _, p := range paths {
			c := archivetest.Load(t, p)
			// Not parallel: urfave/cli v2 writes its global HelpFlag on
			// every run, so two apps running at once race.
			t.Run(strings.TrimSuffix(c.Name, ".txt"), func(t *testing.T) {
				c.SkipHeavy(t)
				var flags []string
				for k, v := range c.Limits {
					if k != "max-index-depth" { // no flag for it
						flags = append(flags, fmt.Sprintf("--%s=%d", k, v))
					}
				}
				slices.Sort(flags)
				path := ""
				if c.Container == "directory" {
					path = c.Dir(t)
				} else {
					path = c.File(t)
				}
				validateArchive(t, path, flags...)
			})
		}
	})
	t.Run("real", func(t *testing.T) {
		if testing.Short() {
			t.Skip("slow: reads the whole shared corpus")
		}
		dirs, err := os.ReadDir(realFixtures)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing; CI must check out the shared fixtures beside the repository", realFixtures)
			}
			t.Skipf("%s is missing: check out the shared fixtures beside the repository to run this test", realFixtures)
		}
		total := 0
		for _, d := range dirs {
			data, err := os.ReadFile(filepath.Join(realFixtures, d.Name(), "expected.json"))
			if err != nil {
				continue // not a fixture (LICENSES)
			}
			var fx struct {
				Payload string `json:"payload"`
			}
			if err := json.Unmarshal(data, &fx); err != nil || fx.Payload == "" || strings.ContainsAny(fx.Payload, `/\`) {
				t.Errorf("%s: expected.json has no usable payload (%v)", d.Name(), err)
				continue
			}
			total += validateArchive(t, filepath.Join(realFixtures, d.Name(), fx.Payload))
		}
		if total < 40 {
			t.Errorf("validated %d outputs from %s, want at least 40", total, realFixtures)
		}
	})
}

// TestSchemasRejectDrift shows the schemas can fail: a report with a key
// the schema does not know, or with a malformed digest, is rejected.
func TestSchemasRejectDrift(t *testing.T) {
	_, good, _ := runCLI(t, nil, "inspect", "-o", "json", archives+"docker-archive.tar")
	if err := validateJSON("report.schema.json", good); err != nil {
		t.Fatalf("the unmodified report must validate: %v", err)
	}
	_, rows, _ := runCLI(t, nil, "images", "-o", "json", "--digests", archives+"oci-gzip")
	if err := validateJSON("images.schema.json", rows); err != nil {
		t.Fatalf("the unmodified images rows must validate: %v", err)
	}
	_, files, _ := runCLI(t, nil, "ls", "-R", "-o", "json", "../../testdata/content/demo.tar")
	_, waste, _ := runCLI(t, nil, "waste", "--ci", "-o", "json", "../../testdata/content/demo.tar")
	edit := func(doc string, change func(m map[string]any)) string {
		t.Helper()
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		switch v := v.(type) {
		case map[string]any:
			change(v)
		case []any:
			change(v[0].(map[string]any))
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	image0 := func(m map[string]any) map[string]any { return m["images"].([]any)[0].(map[string]any) }
	layer0 := func(m map[string]any) map[string]any { return image0(m)["layers"].([]any)[0].(map[string]any) }
	tests := []struct {
		name   string
		schema string
		doc    string
		want   string // in the validation error
	}{
		{"unknown top-level key", "report.schema.json", edit(good, func(m map[string]any) { m["surprise"] = true }), "surprise"},
		{"unknown layer key", "report.schema.json", edit(good, func(m map[string]any) { layer0(m)["compresion"] = "gzip" }), "compresion"},
		{"short digest", "report.schema.json", edit(good, func(m map[string]any) { image0(m)["image_id"] = "sha256:9b45641ae214" }), "image_id"},
		{"upper-case digest", "report.schema.json", edit(good, func(m map[string]any) {
			layer0(m)["diff_id"] = strings.ToUpper(layer0(m)["diff_id"].(string))
		}), "diff_id"},
		{"empty digest where omitempty", "report.schema.json", edit(good, func(m map[string]any) { layer0(m)["chain_id"] = "" }), "chain_id"},
		{"missing required key", "report.schema.json", edit(good, func(m map[string]any) { delete(m, "findings") }), "findings"},
		{"null array", "report.schema.json", edit(good, func(m map[string]any) { image0(m)["ref_names"] = nil }), "ref_names"},
		{"unknown severity", "report.schema.json", edit(good, func(m map[string]any) {
			m["findings"] = []any{map[string]any{"severity": "fatal", "class": "malformed", "kind": "x", "subject": "s", "image": -1, "message": "m"}}
		}), "severity"},
		{"unknown finding kind", "report.schema.json", edit(good, func(m map[string]any) {
			m["findings"] = []any{map[string]any{"severity": "error", "class": "malformed", "kind": "made_up", "subject": "s", "image": -1, "message": "m"}}
		}), "kind"},
		{"-1 for no image", "report.schema.json", edit(good, func(m map[string]any) {
			m["findings"] = []any{map[string]any{"severity": "info", "class": "info", "kind": "unreferenced_blobs", "subject": "blobs/", "image": -1, "message": "m"}}
		}), "image"},
		{"schema version", "report.schema.json", edit(good, func(m map[string]any) { m["schema_version"] = 2 }), "schema_version"},
		{"images row unknown key", "images.schema.json", edit(rows, func(m map[string]any) { m["tags"] = []any{} }), "tags"},
		{"images row malformed digest", "images.schema.json", edit(rows, func(m map[string]any) { m["digest"] = "sha256:zz" }), "digest"},
		{"images row repository starting with ':'", "images.schema.json", edit(rows, func(m map[string]any) { m["repository"] = ":localhost/tiny" }), "repository"},
		{"images row digest and note", "images.schema.json", edit(rows, func(m map[string]any) { m["digest_note"] = "both" }), "oneOf"},
		{"unknown layer content key", "report.schema.json", edit(good, func(m map[string]any) {
			layer0(m)["content"].(map[string]any)["files_added"] = 3
		}), "files_added"},
		{"null largest files", "report.schema.json", edit(good, func(m map[string]any) { image0(m)["content"].(map[string]any)["largest"] = nil }), "largest"},
		{"dive path seen once", "report.schema.json", edit(good, func(m map[string]any) {
			image0(m)["content"].(map[string]any)["dive"].(map[string]any)["inefficient_paths"].([]any)[0].(map[string]any)["count"] = 1
		}), "count"},
		{"ls row without a layer", "ls.schema.json", edit(files, func(m map[string]any) { delete(m, "layer") }), "layer"},
		{"waste rule status", "waste.schema.json", edit(waste, func(m map[string]any) {
			m["rules"].([]any)[0].(map[string]any)["status"] = "warn"
		}), "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateJSON(tt.schema, tt.doc)
			if err == nil {
				t.Fatalf("the schema accepted a drifted document")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not mention %q:\n%v", tt.want, err)
			}
		})
	}
}

// TestSchemaFindingKinds keeps the enum of a finding's kind in
// docs/schema/report.schema.json ($defs.findingKind) equal to the names
// of tarball.Kinds(); -update rewrites it.
func TestSchemaFindingKinds(t *testing.T) {
	path := filepath.Join(schemaDir, "report.schema.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start, end, got := findingKindEnum(t, data)
	var names []string
	for _, k := range tarball.Kinds() {
		if !slices.Contains(names, k.Name) {
			names = append(names, k.Name)
		}
	}
	slices.Sort(names)
	if slices.Equal(got, names) {
		return
	}
	if !*update {
		t.Fatalf("the findingKind enum of %s is %v, the table of kinds has %v\n"+
			"run: go test ./cmd/tardigest -run TestSchemaFindingKinds -update", path, got, names)
	}
	out := append(append(append([]byte{}, data[:start]...), kindEnumJSON(names)...), data[end:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// findingKindEnum finds the value of "findingKind" in the schema's text:
// its start and end offsets and its enum.
func findingKindEnum(t *testing.T, data []byte) (int, int, []string) {
	t.Helper()
	const key = `"findingKind": `
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		t.Fatalf("the report schema has no %s definition", key)
	}
	start := i + len(key)
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	var v struct {
		Enum []string `json:"enum"`
	}
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("findingKind: %v", err)
	}
	return start, start + int(dec.InputOffset()), v.Enum
}

// kindEnumJSON formats the enum as the schema writes it, wrapped.
func kindEnumJSON(names []string) string {
	var b strings.Builder
	b.WriteString(`{ "enum": [`)
	line := 0
	for i, n := range names {
		item := strconv.Quote(n)
		if i < len(names)-1 {
			item += ","
		}
		if line+len(item) > 76 {
			b.WriteString("\n      ")
			line = 0
		} else if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(item)
		line += len(item) + 1
	}
	b.WriteString("] }")
	return b.String()
}

// TestSchemasAgreeOnUnreadable keeps the unreadable document the same in
// the three schemas: inspect, verify, images and history write one
// document of one shape when the archive cannot be read.
func TestSchemasAgreeOnUnreadable(t *testing.T) {
	var first string
	for _, name := range []string{"report.schema.json", "images.schema.json", "history.schema.json"} {
		data, err := os.ReadFile(filepath.Join(schemaDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Defs map[string]map[string]any `json:"$defs"`
		}
		if err := json.Unmarshal(data, &s); err != nil {
			t.Fatal(err)
		}
		def := s.Defs["unreadable"]
		if def == nil {
			t.Fatalf("%s has no $defs.unreadable", name)
		}
		delete(def, "description")
		b, _ := json.Marshal(def)
		if first == "" {
			first = string(b)
		} else if string(b) != first {
			t.Errorf("%s: $defs.unreadable differs from report.schema.json's:\n%s\n%s", name, b, first)
		}
	}
}
