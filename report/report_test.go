package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tardigest/tardigest/tarball"
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
		{"0001-01-01T00:00:00Z", "N/A"}, // not "292 years ago"
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

// TestRepoTags checks the REPOSITORY and TAG columns: a ref name that is
// a full reference (as skopeo and podman write it) is split by the
// reference grammar, a bare tag has no repository, anything else is shown
// whole, and no repository ever starts with ":".
func TestRepoTags(t *testing.T) {
	const dg = "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0"
	tests := []struct {
		name string
		img  tarball.Image
		want [][2]string
	}{
		{"repo tag", tarball.Image{RepoTags: []string{"busybox:latest"}}, [][2]string{{"busybox", "latest"}}},
		{"familiar name", tarball.Image{RepoTags: []string{"docker.io/tardigest/fixture:v1"}}, [][2]string{{"tardigest/fixture", "v1"}}},
		{"repo tag with port", tarball.Image{RepoTags: []string{"localhost:5000/a/b:v1"}}, [][2]string{{"localhost:5000/a/b", "v1"}}},
		{"no tag is latest", tarball.Image{RepoTags: []string{"localhost:5000/a/b"}}, [][2]string{{"localhost:5000/a/b", "latest"}}},
		{"containerd name", tarball.Image{ContainerdNames: []string{"docker.io/library/fixture:v1"}, RefNames: []string{"v1"}}, [][2]string{{"fixture", "v1"}}},
		{"bare tag ref name", tarball.Image{RefNames: []string{"v1"}}, [][2]string{{"<none>", "v1"}}},
		{"podman ref name", tarball.Image{RefNames: []string{"localhost/tiny:v1"}}, [][2]string{{"localhost/tiny", "v1"}}},
		{"skopeo ref name with port", tarball.Image{RefNames: []string{"registry.example.com:5000/team/tiny:1.0"}}, [][2]string{{"registry.example.com:5000/team/tiny", "1.0"}}},
		{"digest ref name", tarball.Image{RefNames: []string{"tiny@" + dg}}, [][2]string{{"tiny", "<none>"}}},
		{"not a reference", tarball.Image{RefNames: []string{":odd name"}}, [][2]string{{"<none>", ":odd name"}}},
		{"untagged", tarball.Image{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := repoTags(&tt.img)
			if !slices.Equal(got, tt.want) {
				t.Errorf("repoTags = %q, want %q", got, tt.want)
			}
			for _, rt := range got {
				if strings.HasPrefix(rt[0], ":") {
					t.Errorf("repository %q starts with \":\"", rt[0])
				}
			}
		})
	}
}

func TestShort(t *testing.T) {
	const d = "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0"
	if got := short(d); got != "9b45641ae214" {
		t.Errorf("short = %q", got)
	}
	if got := short(""); got != "-" {
		t.Errorf("short(\"\") = %q", got)
	}
	if got := truncate("héllo wörld", 6); got != "héllo…" {
		t.Errorf("truncate = %q", got)
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
