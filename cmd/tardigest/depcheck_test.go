package main

import (
	"go/build"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDependencyDirection keeps imports pointing one way:
// cmd → report → tarball → layer. A package may import the ones to its
// right and the listed third-party modules, never one to its left.
func TestDependencyDirection(t *testing.T) {
	const mod = "github.com/tardigest/tardigest/"
	allowed := map[string][]string{
		"layer":      {mod + "internal/count", "github.com/klauspost/compress/", "github.com/opencontainers/go-digest", "github.com/ulikunitz/xz/lzma"},
		"layer/tree": {"github.com/klauspost/compress/", "github.com/opencontainers/go-digest"},
		"signature":  {},
		"tarball":    {mod + "layer", mod + "layer/tree", mod + "internal/count", mod + "signature", "github.com/klauspost/compress/", "github.com/opencontainers/go-digest"},
		"report":     {mod + "tarball", mod + "layer", mod + "layer/tree", "github.com/opencontainers/go-digest"},
		"cmd/tardigest": {mod + "report", mod + "tarball", mod + "layer", mod + "layer/tree", mod + "signature", "github.com/opencontainers/go-digest", "github.com/urfave/cli/v2", "github.com/schollz/progressbar/v3",
			// dive's own parsers of its CI rules (.dive-ci YAML, sizes such
			// as 20MB), so that its thresholds mean the same here.
			"github.com/dustin/go-humanize", "gopkg.in/yaml.v3"},
	}
	for dir, allow := range allowed {
		pkg, err := build.ImportDir(filepath.Join("..", "..", dir), 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			if !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				continue // standard library
			}
			if !slices.ContainsFunc(allow, func(a string) bool { return imp == a || (strings.HasSuffix(a, "/") && strings.HasPrefix(imp, a)) }) {
				t.Errorf("%s imports %s, which is not allowed (allowed: %v)", dir, imp, allow)
			}
		}
	}
}
