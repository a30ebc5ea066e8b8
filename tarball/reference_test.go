package tarball

import (
	"errors"
	"strings"
	"testing"

	distref "github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// referenceSeeds are references and non-references of every shape the
// grammar has, and the ref names skopeo, podman and buildah write.
var referenceSeeds = []string{
	"busybox", "busybox:1.36", "library/busybox:1.36", "docker.io/busybox:1.36",
	"docker.io/library/busybox:1.36", "index.docker.io/busybox", "tardigest/fixture:v1",
	"ghcr.io/org/app:v2", "localhost/app", "localhost/tiny:v1", "localhost:5000/app:v1",
	"registry:5000/app", "registry.example.com:5000/team/tiny:1.0", "[::1]:5000/app:v1",
	"Example.com/app", "a__b/c-d/e.f---g:t", "app@sha256:" + strings.Repeat("ab", 32),
	"app:v1@sha256:" + strings.Repeat("ab", 32), "v1", "1.0", "latest",
	"", ":v1", "/app", "app/", "App", "app:", "app@", "app::v1", "two words", "app:-v1",
	"app:" + strings.Repeat("t", 129), strings.Repeat("a/", 130) + "a",
	"app@sha256:" + strings.Repeat("AB", 32), "app@sha256:abc", "app@md5:" + strings.Repeat("ab", 16),
	"a_/b", "a..b", "-a", "localhost:port/app", "my.registry/a/b/c@sha512:" + strings.Repeat("cd", 64),
}

// TestParseReferenceMatchesDistribution holds ParseReference to the parser
// docker itself uses (github.com/distribution/reference, a test-only
// dependency): the same strings parse, into the same parts, and FullName
// is its normalized name.
func TestParseReferenceMatchesDistribution(t *testing.T) {
	for _, s := range referenceSeeds {
		checkAgainstDistribution(t, s)
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range referenceSeeds {
		f.Add(s)
	}
	f.Fuzz(checkAgainstDistribution)
}

func checkAgainstDistribution(t *testing.T, s string) {
	got, err := ParseReference(s)
	want, werr := distref.Parse(s)
	if (err == nil) != (werr == nil) {
		t.Fatalf("ParseReference(%q): error %v; distribution: %v", s, err, werr)
	}
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseReference(%q) error %v is not ErrMalformed", s, err)
		}
		return
	}
	var wantName, wantTag, wantDigest string
	if n, ok := want.(distref.Named); ok {
		wantName = n.Name()
	}
	if tg, ok := want.(distref.Tagged); ok {
		wantTag = tg.Tag()
	}
	if d, ok := want.(distref.Digested); ok {
		wantDigest = d.Digest().String()
	}
	if got.Repository != wantName || got.Tag != wantTag || got.Digest.String() != wantDigest || got.String() != want.String() {
		t.Errorf("ParseReference(%q) = %+v, distribution has name %q tag %q digest %q", s, got, wantName, wantTag, wantDigest)
	}
	if norm, err := distref.ParseNormalizedNamed(s); err == nil {
		if got.FullName() != norm.Name() {
			t.Errorf("FullName of %q = %q, distribution normalizes it to %q", s, got.FullName(), norm.Name())
		}
		if got.FamiliarName() != distref.FamiliarName(norm) {
			t.Errorf("FamiliarName of %q = %q, distribution's is %q", s, got.FamiliarName(), distref.FamiliarName(norm))
		}
	}
}

func TestParseRefName(t *testing.T) {
	tests := []struct {
		in     string
		want   Reference
		wantOK bool
	}{
		{"v1", Reference{Tag: "v1"}, true},
		{"1.0", Reference{Tag: "1.0"}, true},
		{"latest", Reference{Tag: "latest"}, true},
		{"localhost/tiny:v1", Reference{Repository: "localhost/tiny", Tag: "v1"}, true},
		{"registry.example.com:5000/team/tiny:1.0", Reference{Repository: "registry.example.com:5000/team/tiny", Tag: "1.0"}, true},
		{"tiny@sha256:" + strings.Repeat("ab", 32), Reference{Repository: "tiny", Digest: digest.Digest("sha256:" + strings.Repeat("ab", 32))}, true},
		{"localhost/tiny", Reference{Repository: "localhost/tiny"}, true},
		{"not a name", Reference{}, false},
		{"Upper/Case:v1", Reference{}, false},
		{"", Reference{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseRefName(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRefName(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
