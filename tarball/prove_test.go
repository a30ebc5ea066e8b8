package tarball

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// Digests for the step tests: any distinct valid ones do.
var (
	dIndex    = digest.FromString("index")
	dManifest = digest.FromString("manifest")
	dConfig   = digest.FromString("config")
	dBlob     = digest.FromString("compressed layer")
	dDiff     = digest.FromString("uncompressed layer")
	dOther    = digest.FromString("other")
)

func TestProveWithoutFiles(t *testing.T) {
	for _, r := range []*Result{{}, nil} {
		p, err := r.Prove(nil, nil, "", -1)
		if err == nil || p != nil {
			t.Errorf("Prove(nil, nil, \"\", -1) = %v, %v; want an error", p, err)
		}
		if !errors.Is(err, ErrMissing) {
			t.Errorf("error %v is not ErrMissing", err)
		}
	}
}

func TestParseCaptured(t *testing.T) {
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"digest":%q,"size":7},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":9}]}`, mtOCIManifest, dConfig, dBlob)
	tests := []struct {
		name    string
		data    string
		want    NodeKind
		wantErr error
	}{
		{"manifest", manifest, NodeManifest, nil},
		{"index", fmt.Sprintf(`{"schemaVersion":2,"manifests":[{"digest":%q,"size":3,"platform":{"os":"linux","architecture":"amd64"}}]}`, dManifest), NodeIndex, nil},
		{"malformed layer digest", strings.Replace(manifest, dBlob.String(), "sha256:abc", 1), "", ErrMalformed},
		{"unknown algorithm", strings.Replace(manifest, dConfig.String(), "md5:d41d8cd98f00b204e9800998ecf8427e", 1), "", ErrUnsupported},
		{"not JSON", `{"schemaVersion":`, "", ErrMalformed},
		{"schema 1", `{"schemaVersion":1,"fsLayers":[]}`, "", ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseCaptured("m.json", []byte(tt.data))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.HasPrefix(err.Error(), "m.json: ") {
					t.Fatalf("error %v, want one naming m.json and matching %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.kind != tt.want || c.digest != digest.FromString(tt.data) || c.size != int64(len(tt.data)) {
				t.Errorf("kind %s, digest %s, size %d; want %s and the data's digest and size", c.kind, c.digest, c.size, tt.want)
			}
		})
	}
}

func TestRootLink(t *testing.T) {
	m := capturedDoc{name: "m.json", digest: dManifest, kind: NodeManifest}
	idx := capturedDoc{name: "i.json", digest: dIndex, kind: NodeIndex}
	tests := []struct {
		name     string
		docs     []capturedDoc
		expect   []digest.Digest
		wantRoot int
		want     LinkStatus
		wantHint LinkHint
	}{
		{"expected manifest", []capturedDoc{m}, []digest.Digest{dManifest}, 0, LinkProven, ""},
		{"second expected digest matches", []capturedDoc{m, idx}, []digest.Digest{dOther, dIndex}, 1, LinkProven, ""},
		{"no file has it", []capturedDoc{m, idx}, []digest.Digest{dOther}, -1, LinkBroken, ""},
		{"no expect: the index", []capturedDoc{m, idx}, nil, 1, LinkUnchecked, HintRegistryDigest},
		{"no expect, no index: the first", []capturedDoc{m, m}, nil, 0, LinkUnchecked, HintRegistryDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, l := rootLink(tt.docs, tt.expect)
			if root != tt.wantRoot || l.Status != tt.want || l.Hint != tt.wantHint {
				t.Errorf("root %d, link %+v; want root %d, %s, hint %q", root, l, tt.wantRoot, tt.want, tt.wantHint)
			}
			if strings.Contains(l.Message, "--") {
				t.Errorf("message names a flag: %s", l.Message)
			}
		})
	}
}

func TestPlatformLink(t *testing.T) {
	stored := fmt.Sprintf(`{"schemaVersion":2,"config":{"digest":%q,"size":7},"layers":[]}`, dConfig)
	dStored := digest.FromString(stored)
	idx := &capturedDoc{name: "i.json", kind: NodeIndex, manifests: []capturedDesc{
		{digest: dManifest, size: 10, platform: "linux/amd64"},
		{digest: dStored, size: int64(len(stored)), platform: "linux/arm64"},
	}}
	m := capturedDoc{name: "m.json", digest: dManifest, size: 10, kind: NodeManifest}
	r := &Result{
		Images:  []*Image{{ManifestDigest: dStored}},
		content: map[digest.Digest]storedDoc{dStored: {name: "blobs/sha256/x", data: []byte(stored)}},
	}
	tests := []struct {
		name     string
		docs     []capturedDoc
		want     string
		wantName string // of the manifest reached, "" for none
		status   LinkStatus
		hint     LinkHint
	}{
		{"captured", []capturedDoc{*idx, m}, "linux/amd64", "m.json", LinkProven, ""},
		{"captured, wrong size", []capturedDoc{*idx, {name: "m.json", digest: dManifest, size: 11, kind: NodeManifest}}, "linux/amd64", "", LinkBroken, ""},
		{"stored in the archive", []capturedDoc{*idx}, "linux/arm64", "the archive's manifest " + dStored.String(), LinkProven, ""},
		{"neither", []capturedDoc{*idx}, "linux/amd64", "", LinkBroken, HintCapturedManifest},
		{"platform not listed", []capturedDoc{*idx, m}, "linux/s390x", "", LinkBroken, HintPlatform},
		{"no platform", []capturedDoc{*idx, m}, "", "", LinkBroken, HintPlatform},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, l := r.platformLink(idx, tt.docs, tt.want)
			name := ""
			if got != nil {
				name = got.name
			}
			if name != tt.wantName || l.Status != tt.status || l.Hint != tt.hint {
				t.Errorf("manifest %q, link %+v; want %q, %s, hint %q", name, l, tt.wantName, tt.status, tt.hint)
			}
		})
	}
	// A Result decoded from JSON holds no content: the stored manifest
	// cannot be read, and the link says it is missing instead of failing
	// silently.
	bare := &Result{Images: r.Images}
	if got, l := bare.platformLink(idx, []capturedDoc{*idx}, "linux/arm64"); got != nil || l.Status != LinkBroken {
		t.Errorf("without content: %v, %+v", got, l)
	}
}

func TestWantedPlatform(t *testing.T) {
	one := &Result{Images: []*Image{{Platform: "linux/arm64"}}}
	two := &Result{Images: []*Image{{Platform: "linux/amd64"}, {Platform: "linux/arm64"}}}
	tests := []struct {
		r        *Result
		platform string
		image    int
		want     string
	}{
		{two, "linux/s390x", 1, "linux/s390x"},
		{two, "", 1, "linux/arm64"},
		{two, "", -1, ""},
		{two, "", 7, ""},
		{one, "", -1, "linux/arm64"},
	}
	for _, tt := range tests {
		if got := tt.r.wantedPlatform(tt.platform, tt.image); got != tt.want {
			t.Errorf("wantedPlatform(%q, %d) = %q, want %q", tt.platform, tt.image, got, tt.want)
		}
	}
}

func TestConfigLink(t *testing.T) {
	r := &Result{Images: []*Image{{ImageID: dOther, ConfigSize: 5}, {ImageID: dConfig, ConfigSize: 7}}}
	tests := []struct {
		name      string
		size      int64
		image     int
		wantImage int
		want      LinkStatus
	}{
		{"any image", 7, -1, 1, LinkProven},
		{"the chosen image", 7, 1, 1, LinkProven},
		{"another image chosen", 7, 0, -1, LinkBroken},
		{"size differs", 8, -1, 1, LinkBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &capturedDoc{name: "m.json", config: capturedDesc{digest: dConfig, size: tt.size}}
			img, l := r.configLink(m, tt.image)
			if img != tt.wantImage || l.Status != tt.want {
				t.Errorf("image %d, link %+v; want %d, %s", img, l, tt.wantImage, tt.want)
			}
		})
	}
}

func TestDiffIDLinks(t *testing.T) {
	good := Layer{Present: true, DiffID: dDiff, ConfigDiffID: dDiff}
	tests := []struct {
		name           string
		layers         []Layer
		manifestLayers int
		wantOK         bool
		wantBroken     int
		wantMsg        string // of the one proven link, if any
	}{
		{"all match", []Layer{good, good}, 2, true, 0, "all 2 diffIDs in the config match the uncompressed bytes of the archive's layers"},
		{"one layer: no 'all 1 diffIDs'", []Layer{good}, 1, true, 0, "the config's one diffID matches the uncompressed bytes of the archive's layer"},
		{"one differs", []Layer{good, {Present: true, DiffID: dOther, ConfigDiffID: dDiff}}, 2, false, 1, ""},
		{"absent", []Layer{{ConfigDiffID: dDiff}}, 1, false, 1, ""},
		{"does not decompress", []Layer{{Present: true, ConfigDiffID: dDiff}}, 1, false, 1, ""},
		{"no layers, none listed", nil, 0, true, 0, "the config lists no diffID and the manifest no layer"},
		{"no layers, some listed", nil, 2, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links, ok := diffIDLinks(&Image{Layers: tt.layers}, tt.manifestLayers)
			broken := 0
			for _, l := range links {
				if l.Status == LinkBroken {
					broken++
				}
			}
			if ok != tt.wantOK || broken != tt.wantBroken {
				t.Errorf("ok %v with %d broken links, want %v and %d: %+v", ok, broken, tt.wantOK, tt.wantBroken, links)
			}
			if tt.wantMsg != "" && (len(links) != 1 || links[0].Message != tt.wantMsg) {
				t.Errorf("links %+v, want one saying %q", links, tt.wantMsg)
			}
		})
	}
}

func TestLayerLinks(t *testing.T) {
	gz := capturedDesc{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: dBlob, size: 9}
	tar := capturedDesc{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: dBlob, size: 9}
	tests := []struct {
		name  string
		md    capturedDesc
		layer Layer
		want  LinkStatus
	}{
		{"stored as pushed", gz, Layer{Present: true, Digest: dBlob, Size: 9, Compression: layer.Gzip}, LinkProven},
		{"size differs", gz, Layer{Present: true, Digest: dBlob, Size: 8, Compression: layer.Gzip}, LinkBroken},
		{"absent", gz, Layer{}, LinkBroken},
		{"stored uncompressed", gz, Layer{Present: true, Digest: dDiff, Size: 20, Compression: layer.None}, LinkUnchecked},
		{"uncompressed on both sides, other bytes", tar, Layer{Present: true, Digest: dDiff, Size: 20, Compression: layer.None}, LinkBroken},
		{"other compressed blob", gz, Layer{Present: true, Digest: dOther, Size: 9, Compression: layer.Zstd}, LinkBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if l := layerLink(0, tt.md, tt.layer); l.Status != tt.want {
				t.Errorf("link %+v, want %s", l, tt.want)
			}
		})
	}
	m := &capturedDoc{name: "m.json", layers: []capturedDesc{gz, gz}}
	if links, ok := layerLinks(m, &Image{Layers: []Layer{{}}}); ok || len(links) != 1 || links[0].Status != LinkBroken {
		t.Errorf("count mismatch: %v, %+v", ok, links)
	}
}

// TestExpectAllAgreesWithProof checks that the answer to --expect and
// the proof tell one story: the digest the proof starts from is verified
// exactly when the chain is proven, names the image it reached, and
// never asks to capture a manifest that was captured.
func TestExpectAllAgreesWithProof(t *testing.T) {
	at := func(i int) *int { return &i }
	r := &Result{Images: []*Image{
		{RepoTags: []string{"a:1"}, ImageID: dConfig, Registry: Registry{Status: RegistryNotStored, Reason: "not stored"}},
		{RepoTags: []string{"b:1"}, ImageID: dOther, Registry: Registry{Status: RegistryNotStored, Reason: "not stored"}},
	}}
	proven := &Proof{From: "m.json", FromDigest: dManifest, Expected: true, Image: at(1), ImageName: "b:1", Proven: true}
	broken := &Proof{From: "m.json", FromDigest: dManifest, Expected: true, Image: at(1), ImageName: "b:1"}
	tests := []struct {
		name         string
		d            digest.Digest
		proof        *Proof
		image        int
		wantVerified bool
		wantMsg      string
		wantHint     int // the image Unprovable names; -1 for none
	}{
		{"proven", dManifest, proven, -1, true, "is the digest of m.json, and the proof below links it to image 1, b:1", -1},
		{"broken", dManifest, broken, -1, false, "but the proof below does not link it to image 1, b:1", -1},
		{"another digest", dIndex, proven, -1, false, "the proof below starts from m.json", -1},
		{"no file has it", dIndex, &Proof{}, -1, false, "no captured file has digest", -1},
		{"no proof: the selected image", dIndex, nil, 1, false, "no object in this archive has digest", 1},
		{"no proof: the first image", dIndex, nil, -1, false, "no object in this archive has digest", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.ExpectAll([]digest.Digest{tt.d}, tt.proof, tt.image)[0]
			if got.Verified != tt.wantVerified || !strings.Contains(strings.Join(got.Messages, "; "), tt.wantMsg) {
				t.Errorf("verified %v, messages %q; want %v and %q", got.Verified, got.Messages, tt.wantVerified, tt.wantMsg)
			}
			if (got.ProvenBy != "") != tt.wantVerified {
				t.Errorf("proven_by %q with verified %v", got.ProvenBy, got.Verified)
			}
			switch {
			case tt.wantHint < 0 && got.Unprovable != nil:
				t.Errorf("asks to capture a manifest (%+v) when one was given", got.Unprovable)
			case tt.wantHint >= 0 && (got.Unprovable == nil || got.Unprovable.Image != tt.wantHint):
				t.Errorf("unprovable %+v, want image %d", got.Unprovable, tt.wantHint)
			}
		})
	}
}
