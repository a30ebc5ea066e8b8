package tarball

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

func TestParseDigest(t *testing.T) {
	sha256hex := strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		wantErr error
	}{
		{"sha256:" + sha256hex, nil},
		{"sha512:" + strings.Repeat("cd", 64), nil},
		{"sha256:" + strings.ToUpper(sha256hex), ErrMalformed},
		{"sha256:" + sha256hex[:63], ErrMalformed},
		{"sha256:" + sha256hex + "0", ErrMalformed},
		{"sha256:" + sha256hex[:62] + "zz", ErrMalformed},
		{sha256hex, ErrMalformed},
		{"", ErrMalformed},
		{"sha384:" + strings.Repeat("ef", 48), ErrUnsupported},
		{"md5:d41d8cd98f00b204e9800998ecf8427e", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDigest(tt.in)
			if tt.wantErr == nil {
				if err != nil || d.String() != tt.in {
					t.Fatalf("ParseDigest = %q, %v; want %q", d, err, tt.in)
				}
				// The accessors that panic on a malformed digest are safe.
				_ = d.Algorithm().Hash()
				_ = d.Encoded()
				return
			}
			if !errors.Is(err, tt.wantErr) || d != "" {
				t.Errorf("ParseDigest = %q, %v; want an error matching %v", d, err, tt.wantErr)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"busybox", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"docker.io/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"docker.io/library/busybox:1.36", "docker.io/library/busybox:1.36"},
		{"tardigest/fixture:v1", "docker.io/tardigest/fixture:v1"},
		{"ghcr.io/org/app:v2", "ghcr.io/org/app:v2"},
		{"localhost/app", "localhost/app:latest"},
		{"localhost:5000/app:v1", "localhost:5000/app:v1"},
		{"registry:5000/app", "registry:5000/app:latest"},
		{"", ""},
		{"busybox@sha256:" + strings.Repeat("ab", 32), "docker.io/library/busybox@sha256:" + strings.Repeat("ab", 32)},
		{"localhost/tiny:v1", "localhost/tiny:v1"},
		{":localhost/tiny", ""},
		{"two words", ""},
	}
	for _, tt := range tests {
		if got := normalizeName(tt.in); got != tt.want {
			t.Errorf("normalizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"manifest.json", "manifest.json", false},
		{"./manifest.json", "manifest.json", false},
		{"././blobs/sha256/ab", "blobs/sha256/ab", false},
		{"blobs/", "blobs", false},
		{"./", "", false},
		{".", "", false},
		{"/etc/passwd", "", true},
		{"../outside", "", true},
		{"blobs/../../outside", "", true},
		{"a//b", "", true},
		{"a/./b", "", true},
		{"a\\b", "", true},
		{"a\x00b", "", true},
	}
	for _, tt := range tests {
		got, err := cleanName(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), strconv.Quote(tt.in)) {
				t.Errorf("cleanName(%q) = %q, %v; want ErrMalformed", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestResolveLink(t *testing.T) {
	tests := []struct {
		from, target string
		symlink      bool
		want         string
		bad          bool
	}{
		{"b/layer.tar", "../a/layer.tar", true, "a/layer.tar", false},
		{"b/layer.tar", "x.tar", true, "b/x.tar", false},
		{"layer.tar", "./a/../b.tar", true, "b.tar", false},
		{"b/layer.tar", "./a/layer.tar", false, "a/layer.tar", false}, // hard links name from the root
		{"b/layer.tar", "../../etc/passwd", true, "", true},
		{"layer.tar", "../x", false, "", true},
		{"b/layer.tar", "/etc/passwd", true, "", true},
		{"b/layer.tar", "", true, "", true},
	}
	for _, tt := range tests {
		got, err := resolveLink(tt.from, tt.target, tt.symlink)
		if tt.bad {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("resolveLink(%q, %q) = %q, %v; want ErrMalformed", tt.from, tt.target, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolveLink(%q, %q) = %q, %v; want %q", tt.from, tt.target, got, err, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	hops := []string{"f a/layer.tar box"}
	long := "a/layer.tar"
	for i := 0; i <= MaxLinkHops; i++ {
		name := "hop" + strings.Repeat("x", i)
		hops = append(hops, "l "+name+" "+long)
		long = name
	}
	cat, err := testCatalog(append(hops, []string{
		"l b/layer.tar ../a/layer.tar",
		"h c/layer.tar a/layer.tar",
		"l loop1 loop2",
		"l loop2 loop1",
		"l dangling nowhere",
		"d dir",
		"p fifo",
		"l x a",
		"l through x/layer.tar",
		"l viadir x/../a/layer.tar",
	}...)...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		want    string
		via     string
		wantErr error
	}{
		{"a/layer.tar", "a/layer.tar", "", nil},
		{"b/layer.tar", "a/layer.tar", "a/layer.tar", nil},
		{"c/layer.tar", "a/layer.tar", "", nil}, // a hard link is the file itself
		{"x/layer.tar", "a/layer.tar", "a", nil},
		{"through", "a/layer.tar", "x/layer.tar", nil},
		{"viadir", "a/layer.tar", "a/layer.tar", nil}, // x/.. is the root either way
		{"missing", "", "", ErrMissing},
		{"dangling", "", "", ErrMissing},
		{"loop1", "", "", ErrMalformed},
		{long, "", "", ErrMalformed},
		{"dir", "", "", ErrMalformed},
		{"fifo", "", "", ErrMalformed},
		{"a/layer.tar/x", "", "", ErrMissing},
	}
	for _, tt := range tests {
		e, via, err := cat.lookup(tt.name)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) || e != nil {
				t.Errorf("lookup(%q) = %v, %v; want %v", tt.name, e, err, tt.wantErr)
			}
			continue
		}
		if err != nil || e.name != tt.want || via != tt.via {
			t.Errorf("lookup(%q) = %v, %q, %v; want %q via %q", tt.name, e, via, err, tt.want, tt.via)
		}
	}
	if len(cat.findings) != 0 {
		t.Errorf("findings: %+v", cat.findings)
	}
}

// testCatalog reads a tar of the entries described, one per string:
// "f NAME CONTENT", "d NAME", "l NAME TARGET" (symlink), "h NAME TARGET"
// (hard link), "p NAME" (fifo).
func testCatalog(entries ...string) (*catalog, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, s := range entries {
		f := strings.SplitN(s, " ", 3)
		hdr := &tar.Header{Name: f[1], Mode: 0o644, Format: tar.FormatPAX}
		var body string
		switch f[0] {
		case "f":
			hdr.Typeflag, body = tar.TypeReg, f[2]
			hdr.Size = int64(len(body))
		case "d":
			hdr.Typeflag = tar.TypeDir
		case "l":
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f[2]
		case "h":
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, f[2]
		case "p":
			hdr.Typeflag = tar.TypeFifo
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	opts := &Options{}
	opts.normalize()
	return readTar(context.Background(), &buf, opts)
}

// TestExtractionRules: entries are applied as extraction applies them,
// and refused where extraction would write elsewhere, fail, or where
// docker load and containerd would see different archives.
func TestExtractionRules(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		kind    string // the finding, "" for none
	}{
		{"under a symlink", []string{"d real", "l x real", "f x/layer.tar evil"}, "parent_not_directory"},
		{"under a file", []string{"f x box", "f x/layer.tar evil"}, "parent_not_directory"},
		{"under a fifo", []string{"p x", "f x/y z"}, "parent_not_directory"},
		{"under a hard link", []string{"f a box", "h x a", "f x/y z"}, "parent_not_directory"},
		{"deep under a symlink", []string{"d r", "l x r", "f x/a/b/c z"}, "parent_not_directory"},
		{"file replaces a directory with members", []string{"f x/layer.tar box", "f x evil"}, "replaces_directory"},
		{"symlink replaces a directory with members", []string{"f x/layer.tar box", "f y/layer.tar evil", "l x y"}, "replaces_directory"},
		{"file replaces an empty directory", []string{"d x", "f x evil"}, "duplicate_entry"},
		{"directory over a file", []string{"f x box", "d x"}, "duplicate_entry"},
		{"directory named after its members", []string{"f x/y box", "d x"}, ""},
		{"directory twice", []string{"d x", "d x"}, "duplicate_entry"},
		{"forward hard link", []string{"h l a", "f a box"}, "bad_hardlink"},
		{"self hard link", []string{"h a a"}, "bad_hardlink"},
		{"hard link to a directory", []string{"d a", "h l a"}, "bad_hardlink"},
		{"hard link to a symlink", []string{"f a box", "l s a", "h l s"}, "bad_hardlink"},
		{"hard link through a symlinked directory", []string{"f r/a box", "l d r", "h l d/a"}, ""},
		{"hard link not clean", []string{"f a box", "h l x/../a"}, "bad_link"},
		{"symlink out", []string{"l x ../etc"}, "bad_link"},
		{"symlink absolute", []string{"l x /etc"}, "bad_link"},
		{"name too long", []string{"f " + strings.Repeat("a/", 2048) + "x box"}, "bad_entry_name"},
		{"component too long", []string{"f " + strings.Repeat("a", 256) + " box"}, "bad_entry_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := testCatalog(tt.entries...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range cat.findings {
				got = append(got, f.Kind)
			}
			if tt.kind == "" && len(got) > 0 || tt.kind != "" && (len(got) != 1 || got[0] != tt.kind) {
				t.Errorf("findings %v, want [%s]: %+v", got, tt.kind, cat.findings)
			}
		})
	}
}

// TestAmbiguousLink: x/../y where x is a symlink is the file system's
// y under x's target's parent for docker load, and y at the link's own
// level for containerd and skopeo, which join the names as strings. When
// both exist and differ the lookup is refused; when the string leads
// nowhere those readers fail loudly, and docker's file is read.
func TestAmbiguousLink(t *testing.T) {
	cat, err := testCatalog("f p/q/f inner", "f y outer", "f p/y deep", "f p/only deep", "l x p/q", "l amb x/../y", "l ok x/../only", "l solo x/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cat.lookup("amb"); !errors.Is(err, ErrMalformed) || kindOfErr(err) != "ambiguous_link" {
		t.Errorf("lookup(amb) = %v, want an ambiguous_link", err)
	}
	if e, _, err := cat.lookup("ok"); err != nil || e.name != "p/only" {
		t.Errorf("lookup(ok) = %v, %v; want p/only (the string only names nothing)", e, err)
	}
	if e, _, err := cat.lookup("solo"); err != nil || e.name != "p/q/f" {
		t.Errorf("lookup(solo) = %v, %v; want p/q/f (the string x/f names nothing)", e, err)
	}
}

func kindOfErr(err error) string {
	return kindBadEntry.causedBy(err).Name
}

func TestClassify(t *testing.T) {
	cfg := &descriptor{Digest: digest.FromString("c").String()}
	list := &[]descriptor{}
	tests := []struct {
		name    string
		doc     manifestOrIndex
		want    NodeKind
		wantErr error
	}{
		{"OCI index", manifestOrIndex{MediaType: mtOCIIndex, Manifests: list}, NodeIndex, nil},
		{"Docker list", manifestOrIndex{MediaType: mtDockerList, Manifests: list}, NodeIndex, nil},
		{"index without media type", manifestOrIndex{Manifests: list}, NodeIndex, nil},
		{"OCI manifest", manifestOrIndex{MediaType: mtOCIManifest, Config: cfg}, NodeManifest, nil},
		{"Docker manifest", manifestOrIndex{MediaType: mtDockerManifest, Config: cfg}, NodeManifest, nil},
		{"manifest without media type", manifestOrIndex{Config: cfg}, NodeManifest, nil},
		{"both (CVE-2021-41190)", manifestOrIndex{Manifests: list, Config: cfg}, "", ErrMalformed},
		{"both, layers only", manifestOrIndex{Manifests: list, Layers: []descriptor{}}, "", ErrMalformed},
		{"index type, no manifests", manifestOrIndex{MediaType: mtOCIIndex}, "", ErrMalformed},
		{"manifest type, no config", manifestOrIndex{MediaType: mtOCIManifest}, "", ErrMalformed},
		{"schema 1 by type", manifestOrIndex{MediaType: mtDockerSchema1S}, "", ErrUnsupported},
		{"schema 1 by version", manifestOrIndex{SchemaVersion: 1, Config: cfg}, "", ErrUnsupported},
		{"neither", manifestOrIndex{MediaType: "application/json"}, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := classify(&tt.doc)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("classify = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	id1, id2, id3 := digest.FromString("config 1"), digest.FromString("config 2"), digest.FromString("config 3")
	r := &Result{Images: []*Image{
		{RepoTags: []string{"busybox:1.36"}, ImageID: id1, Platform: "linux/amd64"},
		{RefNames: []string{"v2"}, ContainerdNames: []string{"ghcr.io/org/app:v2"}, ImageID: id2, ManifestDigest: digest.FromString("manifest 2"), Platform: "linux/arm64"},
		{RefNames: []string{"localhost/tiny:v1"}, ImageID: id3, Platform: "linux/arm/v7"},
	}}
	tests := []struct {
		ref, platform string
		want          int
		wantErr       string // in the error, when want is -1
	}{
		{"busybox:1.36", "", 0, ""},
		{"docker.io/library/busybox:1.36", "", 0, ""},
		{"v2", "", 1, ""},
		{"ghcr.io/org/app:v2", "", 1, ""},
		{"localhost/tiny:v1", "", 2, ""},
		{id1.String(), "", 0, ""},
		{id2.Encoded()[:12], "", 1, ""},
		{"sha256:" + id2.Encoded()[:4], "", 1, ""},
		{digest.FromString("manifest 2").Encoded()[:8], "", 1, ""},
		{"", "linux/arm64", 1, ""},
		{"", "linux/aarch64", 1, ""},
		{"", "linux/arm64/v8", 1, ""},
		{"", "linux/arm", 2, ""},
		{"busybox:1.36", "linux/amd64", 0, ""},
		{"busybox:1.36", "linux/arm64", -1, `"busybox:1.36" and platform linux/arm64 matches no image`},
		{"", "linux", -1, "matches no image"},
		{"", "linux/s390x", -1, "matches no image"},
		{"busybox:1.37", "", -1, "matches no image"},
		{"", "", -1, "is empty"},
		// A prefix too short to be taken says how long it must be.
		{id1.Encoded()[:3], "", -1, "give at least 4 hex digits"},
		// A bare tag is not a repository: "v1" is not docker.io/library/v1.
		{"tiny:v1", "", -1, "matches no image"},
	}
	for _, tt := range tests {
		got, err := r.Select(tt.ref, tt.platform)
		if got != tt.want || (tt.want < 0) != errors.Is(err, ErrNoImage) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Select(%q, %q) = %d, %v; want %d (%q)", tt.ref, tt.platform, got, err, tt.want, tt.wantErr)
		}
	}
	// A prefix both image IDs share is refused, not resolved to the first,
	// with the candidates and the digits that tell them apart.
	same := &Result{Images: []*Image{{ImageID: digest.Digest("sha256:abcd1" + strings.Repeat("0", 59))}, {ImageID: digest.Digest("sha256:abcd2" + strings.Repeat("0", 59))}}}
	_, err := same.Select("abcd", "")
	var se *SelectError
	if !errors.As(err, &se) || !slices.Equal(se.Matches, []int{0, 1}) || !strings.Contains(err.Error(), "matches 2 images; give at least 5 hex digits") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	// Two platforms of one tag: the candidates are listed.
	multi := &Result{Images: []*Image{{RefNames: []string{"v1"}, Platform: "linux/amd64"}, {RefNames: []string{"v1"}, Platform: "linux/arm64"}}}
	if _, err := multi.Select("v1", ""); !errors.As(err, &se) || !slices.Equal(se.Matches, []int{0, 1}) {
		t.Errorf("ambiguous name: %v", err)
	}
	if got, err := multi.Select("v1", "linux/arm64"); got != 1 {
		t.Errorf("name and platform: %d, %v", got, err)
	}
}

func TestFind(t *testing.T) {
	dIdx, dMan, dCfg := digest.FromString("index"), digest.FromString("manifest"), digest.FromString("config")
	dGz, dTar, dBlob := digest.FromString("gzip blob"), digest.FromString("tar"), digest.FromString("unreferenced")
	r := &Result{
		Archive: Archive{IndexJSONDigest: digest.FromString("index.json")},
		Index:   []*IndexNode{{Where: "index.json/manifests[0]", Digest: dIdx, Kind: NodeIndex, Present: true}},
		Images: []*Image{{
			Sources: []string{"index.json/manifests[0] -> manifests[0]"}, ManifestDigest: dMan, ImageID: dCfg, ConfigPath: "blobs/sha256/c",
			Layers: []Layer{
				{Path: "blobs/sha256/g", Present: true, Digest: dGz, DiffID: dTar, Compression: "gzip"},
				{Path: "blobs/sha256/t", Present: true, Digest: dTar, DiffID: dTar, Compression: "none"},
			},
		}},
		Unreferenced: []Blob{{Path: "blobs/sha256/u", Digest: dBlob}},
	}
	tests := []struct {
		d    digest.Digest
		want []string // what@image/layer
	}{
		{dIdx, []string{"index@-/-"}},
		{dMan, []string{"manifest@0/-"}},
		{dCfg, []string{"config@0/-"}},
		{dGz, []string{"layer@0/0"}},
		// An uncompressed layer's digest is its diffID: one match, the
		// layer; the gzip layer's diffID is a second object.
		{dTar, []string{"diff_id@0/0", "layer@0/1"}},
		{dBlob, []string{"blob@-/-"}},
		{r.Archive.IndexJSONDigest, []string{"index.json@-/-"}},
		{digest.FromString("nothing"), nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range r.Find(tt.d) {
			got = append(got, m.What+"@"+pos(m.Image)+"/"+pos(m.Layer))
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("Find(%s) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func pos(p *int) string {
	if p == nil {
		return "-"
	}
	return string(rune('0' + *p))
}

func TestRegistry(t *testing.T) {
	dIdx, dMan := digest.FromString("index"), digest.FromString("manifest")
	failed := 1
	r := &Result{
		Archive: Archive{Producer: "docker save (Docker 25-28, classic image store)"},
		Images: []*Image{
			{ManifestOrigin: OriginalManifest, ManifestDigest: dMan, IndexDigests: []digest.Digest{dIdx}},
			{ManifestOrigin: OriginalManifest, ManifestDigest: dMan},
			{ManifestOrigin: ProducerManifest, ManifestDigest: dMan},
			{},
		},
		Findings: []Finding{{Severity: SeverityError, Image: &failed, Subject: "image[1] layer[0]", Err: ErrMismatch}},
	}
	tests := []struct {
		image  int
		status RegistryStatus
		digest digest.Digest
		reason string
	}{
		{0, RegistryVerified, dIdx, "stored and verified"},
		{1, RegistryFailed, dMan, "FAILED verification"},
		{2, RegistryProducerManifest, "", "its manifest was written by docker save (Docker 25-28, classic image store) over uncompressed layers"},
		{3, RegistryNotStored, "", "written by docker save (Docker 25-28, classic image store)"},
	}
	for _, tt := range tests {
		got := r.Registry(tt.image)
		if got.Status != tt.status || got.Digest != tt.digest || !strings.Contains(got.Reason, tt.reason) || strings.Contains(got.Reason, "--") {
			t.Errorf("Registry(%d) = %+v; want %s, %q, a reason with %q and no flag", tt.image, got, tt.status, tt.digest, tt.reason)
		}
	}
	r.Archive.Producer = ""
	if got := r.Registry(3); !strings.Contains(got.Reason, "an unknown producer") {
		t.Errorf("without a producer: %q", got.Reason)
	}
}

func TestStoredContent(t *testing.T) {
	cfg := []byte(`{"rootfs":{}}`)
	dCfg := digest.FromBytes(cfg)
	r := &Result{
		Images:  []*Image{{ImageID: dCfg}, {ImageID: digest.FromString("big")}, {}},
		content: map[digest.Digest]storedDoc{dCfg: {name: "c.json", data: cfg}, digest.FromString("big"): {name: "big.json"}},
	}
	if got, err := r.ConfigBytes(0); err != nil || string(got) != string(cfg) {
		t.Errorf("ConfigBytes(0) = %q, %v", got, err)
	}
	if _, err := r.ConfigBytes(1); !errors.Is(err, ErrLimit) {
		t.Errorf("a config not kept: %v, want ErrLimit", err)
	}
	if _, err := r.ConfigBytes(2); !errors.Is(err, ErrMissing) {
		t.Errorf("no config: %v, want ErrMissing", err)
	}
	if _, err := r.ManifestBytes(2); !errors.Is(err, ErrMissing) || strings.Contains(err.Error(), "--") {
		t.Errorf("no manifest: %v, want ErrMissing without a flag", err)
	}
	if _, err := r.ConfigBytes(3); !errors.Is(err, ErrNoImage) {
		t.Errorf("image 3 of 3: %v", err)
	}
	decoded := &Result{Images: r.Images}
	if _, err := decoded.ConfigBytes(0); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "decoded from JSON") {
		t.Errorf("a Result without content: %v", err)
	}
}

// TestOldRegularFileFlag reads an entry whose typeflag is '\x00', as
// pre-POSIX tar wrote regular files: it is a file like any other.
func TestOldRegularFileFlag(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := tw.WriteHeader(&tar.Header{Name: "oci-layout", Mode: 0o644, Size: int64(len(body)), Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	b := buf.Bytes()
	b[156] = 0 // the typeflag; then the header checksum again
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	opts := &Options{}
	opts.normalize()
	cat, err := readTar(context.Background(), bytes.NewReader(b), opts)
	if err != nil {
		t.Fatal(err)
	}
	e := cat.entries["oci-layout"]
	if e == nil || e.kind != kindFile || string(e.data) != string(body) {
		t.Fatalf("entry %+v, want a kept regular file", e)
	}
}

func TestValidRepoTag(t *testing.T) {
	for s, want := range map[string]bool{
		"busybox:latest":                              true,
		"docker.io/library/busybox:1.36":              true,
		"localhost:5000/a/b-c_d.e:v1":                 true,
		"Registry.Example:443/x/y:TAG.1-2":            true,
		"[::1]:5000/x:1":                              true,
		"busybox:1@sha256:" + strings.Repeat("a", 64): true,
		"busybox":                              false, // docker load: invalid tag
		"Busybox:1":                            false, // repository names are lowercase
		"busybox:":                             false,
		"busybox:-x":                           false,
		"busybox:" + strings.Repeat("t", 129):  false,
		"a//b:1":                               false,
		"box:1\x1b[2K":                         false,
		"box:1\n":                              false,
		"x/" + strings.Repeat("a", 260) + ":1": false,
		"":                                     false,
	} {
		if got := validRepoTag(s); got != want {
			t.Errorf("validRepoTag(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestBlobKind checks what an unreferenced blob is said to be: a config
// and a legacy v1 JSON both have a "config" key, and neither is a
// manifest.
func TestBlobKind(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"config", `{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[]}}`, "config"},
		{"v1 json", `{"id":"` + strings.Repeat("a", 64) + `","config":{"Cmd":["/bin/sh"]}}`, "v1-json"},
		{"manifest", `{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":2},"layers":[]}`, "manifest"},
		{"index", `{"schemaVersion":2,"manifests":[]}`, "index"},
		{"other json", `{"config":{}}`, "json"},
		{"not json", `{`, "unknown"},
	}
	for _, tt := range tests {
		e := &entry{data: []byte(tt.data), blob: layer.Result{Compression: layer.None}}
		if got := blobKind(e); got != tt.want {
			t.Errorf("%s: blobKind = %q, want %q", tt.name, got, tt.want)
		}
	}
}
