package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const archives = "../../testdata/archives/"

// content holds the image of the README's "What is inside" examples.
const content = "../../testdata/content/"

// artifacts holds the layouts cosign, oras, regctl and skopeo wrote, and
// the test keys (testdata/artifacts/README.md).
const artifacts = "../../testdata/artifacts/"

// testEnv pins the clock, so relative dates in goldens do not age, and
// says stderr is no terminal.
var testEnv = env{now: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }}

// runCLI runs the program in process and returns its exit code, stdout
// and stderr.
func runCLI(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"tardigest"}, args...), bytes.NewReader(stdin), &stdout, &stderr, testEnv)
	checkJSONOutput(t, args, stdout.String())
	return code, stdout.String(), stderr.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/tardigest -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/tardigest -update rewrites it; review the diff):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestCLI(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// golden names the file holding the expected stdout, or the
		// expected stderr when the run fails.
		golden string
	}{
		{"inspect text", []string{"inspect", archives + "docker-archive.tar"}, 0, "inspect-docker-archive.txt"},
		{"inspect json", []string{"inspect", "--output", "json", archives + "docker-archive.tar"}, 0, "inspect-docker-archive.json"},
		{"verify containerd", []string{"verify", archives + "containerd-multiplatform.tar"}, 0, "verify-containerd-multiplatform.txt"},
		{"verify docker25", []string{"verify", archives + "docker25.tar"}, 0, "verify-docker25.txt"},
		{"verify oci dir", []string{"verify", archives + "oci-zstd"}, 0, "verify-oci-zstd.txt"},
		{"verify multi image selected", []string{"verify", "--image", "tardigest/fixture:v2", archives + "multi-image.tar"}, 0, "verify-multi-image-selected.txt"},
		{"verify tampered diffid", []string{"verify", archives + "tampered-diffid.tar"}, 1, "verify-tampered-diffid.txt"},
		{"verify tampered diffid json", []string{"verify", "-o", "json", archives + "tampered-diffid.tar"}, 1, "verify-tampered-diffid.json"},
		{"verify tampered config name", []string{"verify", archives + "tampered-config-name.tar"}, 1, "verify-tampered-config-name.txt"},
		{"inspect tampered exits 0", []string{"inspect", archives + "tampered-layer-byte.tar"}, 0, "inspect-tampered-layer-byte.txt"},
		{"verify truncated", []string{"verify", archives + "truncated.tar"}, 3, "verify-truncated.stderr"},
		{"verify truncated json", []string{"verify", "-o", "json", archives + "truncated.tar"}, 3, "verify-truncated.json"},
		{"images truncated json", []string{"images", archives + "truncated.tar", "-o", "json"}, 3, "images-truncated.json"},
		{"verify flags after argument", []string{"verify", archives + "tampered-diffid.tar", "-o", "json"}, 1, "verify-tampered-diffid.json"},
		{"flags after --", []string{"images", "-q", "--", archives + "multi-image.tar"}, 0, "images-quiet.txt"},
		{"unknown command", []string{"verfy", archives + "docker-archive.tar"}, 2, "usage-unknown-command.stderr"},
		{"archive as command", []string{archives + "docker-archive.tar"}, 2, "usage-archive-as-command.stderr"},
		{"negative workers", []string{"verify", "--workers", "-1", archives + "docker-archive.tar"}, 2, "usage-negative-workers.stderr"},
		{"bad platform", []string{"verify", "--platform", "linux", archives + "docker-archive.tar"}, 2, "usage-bad-platform.stderr"},
		{"short image ID prefix", []string{"history", "--image", "9b4", archives + "multi-image.tar"}, 2, "usage-short-prefix.stderr"},
		{"image ID prefix", []string{"history", "--image", "20a3", archives + "multi-image.tar"}, 0, "history-prefix.txt"},
		{"verify missing file", []string{"verify", archives + "no-such-file.tar"}, 3, "verify-no-such-file.stderr"},
		{"no argument", []string{"verify"}, 2, "usage-no-argument.stderr"},
		{"two arguments", []string{"inspect", "a", "b"}, 2, "usage-two-arguments.stderr"},
		{"bad output", []string{"verify", "--output", "yaml", archives + "docker-archive.tar"}, 2, "usage-bad-output.stderr"},
		{"unknown flag", []string{"verify", "--frobnicate", archives + "docker-archive.tar"}, 2, "usage-unknown-flag.stderr"},
		{"unknown image", []string{"verify", "--image", "nope:v9", archives + "docker-archive.tar"}, 2, "usage-unknown-image.stderr"},
		{"expect index", []string{"verify", "--expect", "sha256:5e6eb86fd9358159d019cb60de422c9f2e42b44e4af32c2ea0a4d5af3e3402d6", archives + "containerd-multiplatform.tar"}, 0, "expect-index.txt"},
		{"expect image ID", []string{"verify", "--expect", "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0", archives + "docker25.tar"}, 1, "expect-image-id.txt"},
		{"expect image ID json", []string{"verify", "-o", "json", "--expect", "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0", archives + "docker25.tar"}, 1, "expect-image-id.json"},
		{"against proven", []string{"verify", "--against", "../../testdata/against/multiplatform.index.json", "--against", "../../testdata/against/oci-gzip-v1.manifest.json", "--expect", "sha256:5e6eb86fd9358159d019cb60de422c9f2e42b44e4af32c2ea0a4d5af3e3402d6", archives + "docker-archive.tar"}, 0, "against-proven.txt"},
		{"against proven json", []string{"verify", "-o", "json", "--against", "../../testdata/against/oci-gzip-v1.manifest.json", archives + "docker-archive.tar"}, 0, "against-proven.json"},
		{"against broken", []string{"verify", "--against", "../../testdata/against/oci-gzip-v1.manifest.json", archives + "oci-zstd"}, 1, "against-broken.txt"},
		{"platform not in archive", []string{"verify", "--against", "../../testdata/against/multiplatform.index.json", "--platform", "linux/s390x", archives + "docker-archive.tar"}, 2, "usage-platform-not-in-archive.stderr"},
		{"bad expect", []string{"verify", "--expect", "sha256:XYZ", archives + "docker-archive.tar"}, 2, "usage-bad-expect.stderr"},
		{"images", []string{"images", archives + "multi-image.tar"}, 0, "images-multi-image.txt"},
		{"images digests", []string{"images", "--digests", archives + "containerd-multiplatform.tar"}, 0, "images-digests.txt"},
		{"images digests no-trunc oci", []string{"images", "--digests", "--no-trunc", archives + "oci-gzip"}, 0, "images-digests-no-trunc.txt"},
		{"images skopeo ref names", []string{"images", archives + "oci-refnames"}, 0, "images-refnames.txt"},
		{"images skopeo ref names json", []string{"images", "-o", "json", archives + "oci-refnames"}, 0, "images-refnames.json"},
		{"history by ref name", []string{"history", "--image", "registry.example.com:5000/team/tiny:1.0", archives + "oci-refnames"}, 0, "history.txt"},
		{"images quiet", []string{"images", "-q", archives + "multi-image.tar"}, 0, "images-quiet.txt"},
		{"images json", []string{"images", "-o", "json", "--digests", archives + "docker25.tar"}, 0, "images-docker25.json"},
		{"images format", []string{"images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", archives + "multi-image.tar"}, 0, "images-format.txt"},
		{"images format table", []string{"images", "--format", "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.CreatedAt}}\\t{{.Size}}", archives + "containerd-multiplatform.tar"}, 0, "images-format-table.txt"},
		{"images format json", []string{"images", "--format", "{{json .}}", archives + "multi-image.tar"}, 0, "images-format-json.txt"},
		{"images format json keyword", []string{"images", "--format", "json", archives + "multi-image.tar"}, 0, "images-format-json.txt"},
		{"images format table default", []string{"images", "--format", "table", archives + "multi-image.tar"}, 0, "images-multi-image.txt"},
		{"images flags after argument", []string{"images", archives + "multi-image.tar", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"}, 0, "images-format.txt"},
		{"history", []string{"history", archives + "docker-archive.tar"}, 0, "history.txt"},
		{"skopeo dir: registry digest with no --against", []string{"verify", "--expect", "sha256:2bd75a99dd0fc89bf79ad16b9cbe82434da398e785fe3b3a3ab42790ef4762fa", archives + "skopeo-dir-multi-all"}, 0, "verify-skopeo-dir-multi-all.txt"},
		{"skopeo dir: one platform of a multi-platform tag", []string{"verify", "--expect", "sha256:2bd75a99dd0fc89bf79ad16b9cbe82434da398e785fe3b3a3ab42790ef4762fa", archives + "skopeo-dir-multi-default"}, 1, "verify-skopeo-dir-multi-default.txt"},
		{"skopeo dir: from a docker-archive", []string{"verify", archives + "skopeo-dir-from-docker-archive"}, 0, "verify-skopeo-dir-from-docker-archive.txt"},
		{"skopeo dir: images", []string{"images", "--digests", archives + "skopeo-dir-multi-all"}, 0, "images-skopeo-dir-multi-all.txt"},
		{"skopeo dir: failed copy", []string{"verify", archives + "skopeo-dir-failed-copy"}, 3, "verify-skopeo-dir-failed-copy.stderr"},
		{"whole-archive xz", []string{"verify", archives + "docker-archive.tar.xz"}, 0, "verify-docker-archive-xz.txt"},
		{"extracted docker save", []string{"verify", archives + "docker-archive-extracted"}, 0, "verify-docker-archive-extracted.txt"},
		{"images of two platforms", []string{"images", "../../testdata/artifacts/cosign-save-multi"}, 0, "images-platforms.txt"},
		{"history of two platforms needs one", []string{"history", "../../testdata/artifacts/cosign-save-multi"}, 2, "history-choose-platform.stderr"},
		{"history --platform", []string{"history", "--platform", "linux/arm64", "../../testdata/artifacts/cosign-save-multi"}, 0, "history-platform.txt"},
		{"images --platform", []string{"images", "--platform", "linux/arm64", "../../testdata/artifacts/cosign-save-multi"}, 0, "images-platform.txt"},
		{"attachments under their image", []string{"verify", artifacts + "regctl-copy-digest-tags"}, 0, "verify-attachments.txt"},
		{"attachments json", []string{"inspect", "-o", "json", artifacts + "regctl-copy-digest-tags"}, 0, "inspect-attachments.json"},
		{"attachments verbose", []string{"inspect", "--verbose", artifacts + "cosign-save-multi"}, 0, "inspect-attachments-verbose.txt"},
		{"key over a tampered layer", []string{"verify", "--key", artifacts + "keys/cosign.pub", artifacts + "cosign-save-tampered"}, 1, "verify-key-tampered.txt"},
		{"key json", []string{"verify", "-o", "json", "--key", artifacts + "keys/cosign-ed25519.pub", artifacts + "cosign-save"}, 0, "verify-key-ed25519ph.json"},
		{"key of another signer", []string{"verify", "--key", artifacts + "keys/other-ecdsa-p256.pub", artifacts + "cosign-save"}, 1, "verify-key-other.txt"},
		{"key on referrers only", []string{"verify", "--key", artifacts + "keys/cosign.pub", artifacts + "oras-cp"}, 1, "verify-key-unsigned.txt"},
		{"key on a selected attachment", []string{"verify", "--key", artifacts + "keys/cosign.pub", "--image", "sha256-73518a604028d0ce58b0b33bd71100f885ea0d1ea3e6b7889e8c5860b46d3071.sbom", artifacts + "regctl-copy-digest-tags"}, 0, "verify-key-selected-attachment.txt"},
		{"private key refused", []string{"verify", "--key", artifacts + "keys/test-ecdsa-p256.pem", artifacts + "cosign-save"}, 2, "usage-key-private.stderr"},
		{"missing key", []string{"verify", "--key", artifacts + "keys/no-such.pub", artifacts + "cosign-save"}, 2, "usage-key-missing.stderr"},
		{"images attached", []string{"images", "--digests", artifacts + "regctl-copy-digest-tags"}, 0, "images-attached.txt"},
		{"images attached json", []string{"images", "-o", "json", artifacts + "regctl-copy-digest-tags"}, 0, "images-attached.json"},
		{"history skips attachments", []string{"history", artifacts + "cosign-save"}, 0, "history-attachments.txt"},
		{"history no-trunc", []string{"history", "--no-trunc", "--image", "tardigest/fixture:v2", archives + "multi-image.tar"}, 0, "history-no-trunc.txt"},
		{"history needs image", []string{"history", archives + "multi-image.tar"}, 2, "history-needs-image.stderr"},
		{"history format", []string{"history", "--no-trunc", "--format", "{{.DiffID}}", archives + "oci-zstd"}, 0, "history-format.txt"},
		{"history format table", []string{"history", "--format", "table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{upper .Comment}}", archives + "docker-archive.tar"}, 0, "history-format-table.txt"},
		{"history format json", []string{"history", "--format", "{{json .}}", archives + "docker-archive.tar"}, 0, "history-format-json.txt"},
		{"inspect format", []string{"inspect", "--format", "{{range .Images}}{{.ImageID}} {{json .RepoTags}}{{\"\\n\"}}{{end}}", archives + "multi-image.tar"}, 0, "inspect-format.txt"},
		{"bad format", []string{"inspect", "--format", "{{.Nope", archives + "docker-archive.tar"}, 2, "usage-bad-format.stderr"},
		{"manifest none stored", []string{"manifest", archives + "docker-archive.tar"}, 1, "manifest-none-stored.stderr"},
		{"completion bash", []string{"completion", "bash"}, 0, "completion-bash.txt"},
		{"completion fish", []string{"completion", "fish"}, 0, "completion-fish.txt"},
		{"ls root", []string{"ls", content + "demo.tar"}, 0, "ls-demo.txt"},
		{"ls layer json", []string{"ls", "--layer", "3", "-o", "json", content + "demo.tar"}, 0, "ls-demo-layer3.json"},
		{"ls missing path", []string{"ls", content + "demo.tar", "/var/cache/apk"}, 1, "ls-missing.stderr"},
		{"ls no layer", []string{"ls", "--layer", "9", content + "demo.tar"}, 2, "ls-no-layer.stderr"},
		{"layers", []string{"layers", content + "demo.tar"}, 0, "layers-demo.txt"},
		{"layers json", []string{"layers", "-o", "json", archives + "oci-gzip-flipped"}, 0, "layers-flipped.json"},
		{"waste json ci config", []string{"waste", "-o", "json", "--ci-config", content + "dive-ci.yaml", content + "demo.tar"}, 1, "waste-demo-ci.json"},
		{"waste bad rule", []string{"waste", "--lowest-efficiency", "1.5", content + "demo.tar"}, 2, "waste-bad-rule.stderr"},
		{"waste bad size", []string{"waste", "--highest-wasted-bytes", "20 parsecs", content + "demo.tar"}, 2, "waste-bad-size.stderr"},
		{"waste unknown files", []string{"waste", archives + "oci-gzip-flipped"}, 1, "waste-unknown.stderr"},
		{"cat directory", []string{"cat", content + "demo.tar", "/opt"}, 1, "cat-directory.stderr"},
		{"cat whited out", []string{"cat", content + "demo.tar", "var/cache/apk/app-1.0.apk"}, 1, "cat-whited-out.stderr"},
		{"cat unverified", []string{"cat", archives + "tampered-diffid.tar", "etc/os-release"}, 1, "cat-unverified.stderr"},
		{"cat stdin", []string{"cat", "-", "etc/os-release"}, 2, "cat-stdin.stderr"},
		{"cat no path", []string{"cat", content + "demo.tar"}, 2, "cat-no-path.stderr"},
		{"help", []string{"--help"}, 0, "help.txt"},
		{"verify help", []string{"verify", "--help"}, 0, "help-verify.txt"},
		{"cat help", []string{"cat", "--help"}, 0, "help-cat.txt"},
		{"waste help", []string{"waste", "--help"}, 0, "help-waste.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, ok := runGolden(t, tt.args, tt.wantCode, tt.golden)
			if !ok {
				return
			}
			if (tt.args[0] == "inspect" || tt.args[0] == "verify") && strings.HasSuffix(tt.golden, ".txt") && !slices.Contains(tt.args, "--help") {
				checkWidth(t, stdout)
			}
			if strings.HasSuffix(tt.golden, ".json") {
				var v any
				if err := json.Unmarshal([]byte(stdout), &v); err != nil {
					t.Errorf("output is not JSON: %v", err)
				}
			}
		})
	}
}

// TestStoredBytes checks that config and manifest print the exact stored
// bytes: their sha256 is the image ID and the manifest digest, computed
// here independently.
func TestStoredBytes(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"config", archives + "docker-archive.tar"}, "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0"},
		{[]string{"config", "--image", "tardigest/fixture:v2", archives + "multi-image.tar"}, "sha256:20a30cb4d52a2b2f9021b631e11552dbfadaf6de4302b8278541b41e924252be"},
		{[]string{"manifest", archives + "oci-gzip"}, "sha256:3492be52b83cabd469239b9656a0f1a3cfc236dd9919109a8cdbb9408b8c0316"},
		// skopeo dir: manifest.json is the registry's bytes (crane digest,
		// testdata/archives/skopeo-dir-*.expected.json), the arm/v7 config
		// the one its instance manifest names.
		{[]string{"manifest", archives + "skopeo-dir-single-gzip"}, "sha256:a21623225ae4651828d9a79d79ddad80ebd3b1fb56404a7a8a62e811a0dca136"},
		{[]string{"manifest", "--platform", "linux/arm/v7", archives + "skopeo-dir-multi-all"}, "sha256:c51e5d4701bc9f6155b32bfdd159ea04f1bfdbcf7d9be49625ddeb7fa4153d0b"},
		{[]string{"config", "--platform", "linux/arm/v7", archives + "skopeo-dir-multi-all"}, "sha256:c0d7cee89df6764b371823fabb61c19ec6434b88b97561257aa69b67ea23f368"},
		// The config and manifest the arm64 entry of cosign-save-multi's
		// index names (jq and sha256sum on the layout's files).
		{[]string{"config", "--platform", "linux/arm64", "../../testdata/artifacts/cosign-save-multi"}, "sha256:368346a30c6121d16715417280e433ceae504dc300a6207538d1be5dd0b52bad"},
		{[]string{"manifest", "../../testdata/artifacts/cosign-save-multi", "--platform", "linux/arm64"}, "sha256:8a93c2492041c8722774de17167e1edd8c74aa811de821f49bab9a51b419102b"},
		{[]string{"manifest", archives + "containerd-multiplatform.tar"}, "sha256:3492be52b83cabd469239b9656a0f1a3cfc236dd9919109a8cdbb9408b8c0316"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			sum := sha256.Sum256([]byte(stdout))
			if got := "sha256:" + hex.EncodeToString(sum[:]); got != tt.want {
				t.Errorf("sha256 of output = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestStdinMatchesFile checks that "-" reads the same archive from a pipe
// and reports exactly what the file gives, for every whole-archive form.
func TestStdinMatchesFile(t *testing.T) {
	for _, name := range []string{"docker-archive.tar", "docker-archive.tar.gz", "docker-archive.tar.zst", "docker-archive.tar.bz2",
		"docker-archive-multistream.tar.bz2", "docker-archive.tar.xz", "docker-archive-pixz.tar.xz", "oci-archive.tar", "docker25.tar", "multi-image.tar"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(archives + name)
			if err != nil {
				t.Fatal(err)
			}
			fileCode, fileOut, _ := runCLI(t, nil, "verify", "-o", "json", archives+name)
			pipeCode, pipeOut, pipeErr := runCLI(t, data, "verify", "-o", "json", "-")
			if fileCode != 0 || pipeCode != 0 {
				t.Fatalf("exit codes file %d, stdin %d; stderr: %s", fileCode, pipeCode, pipeErr)
			}
			fileOut = strings.Replace(fileOut, `"source": "`+archives+name+`"`, `"source": "-"`, 1)
			if fileOut != pipeOut {
				t.Errorf("stdin report differs from file report:\n--- file\n%s\n--- stdin\n%s", fileOut, pipeOut)
			}
		})
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"tardigest", "verify", archives + "docker-archive.tar"}, nil, &stdout, &stderr, testEnv)
	if code != exitInterrupted {
		t.Errorf("exit code %d, want %d; stderr: %s", code, exitInterrupted, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty: %s", stdout.String())
	}
}

const against = "../../testdata/against/"

// TestProve runs verify --expect and --against on archives of every kind
// against manifests captured with skopeo, and on tampered copies of
// either side: each broken link must fail the run and be named.
func TestProve(t *testing.T) {
	manifest := against + "oci-gzip-v1.manifest.json"
	const manifestDigest = "sha256:3492be52b83cabd469239b9656a0f1a3cfc236dd9919109a8cdbb9408b8c0316"
	const indexDigest = "sha256:5e6eb86fd9358159d019cb60de422c9f2e42b44e4af32c2ea0a4d5af3e3402d6"
	dir := t.TempDir()
	tamper := func(name, old, new string) string {
		t.Helper()
		data, err := os.ReadFile(manifest)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(old)) {
			t.Fatalf("%q not in %s", old, manifest)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The config digest of the source image, and a layer's diffID-free
	// compressed digest, each changed by one hex digit.
	badConfig := tamper("bad-config.json", "9b45641ae214", "9b45641ae215")
	badSize := tamper("bad-size.json", `"size":750`, `"size":751`)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stdout, in order
	}{
		{"expect index stored in archive", []string{"--expect", "fixture-multi@" + indexDigest, archives + "containerd-multiplatform.tar"}, 0,
			[]string{"is the digest of an image index", "platforms verified: linux/amd64", "absent from the archive: linux/arm64", "verified:"}},
		{"expect manifest stored in archive", []string{"--expect", manifestDigest, archives + "oci-gzip"}, 0,
			[]string{"is the manifest digest of v1 (linux/amd64), and every blob under it verified"}},
		{"expect image ID is not a manifest digest", []string{"--expect", "sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0", archives + "docker-archive.tar"}, 1,
			[]string{"is the image ID (config digest) of docker.io/tardigest/fixture:v1", "not a registry manifest digest", "the registry digest of docker.io/tardigest/fixture:v1 (linux/amd64) is not stored in this archive", "--against", "FAILED"}},
		{"expect unknown digest", []string{"--expect", "sha256:" + strings.Repeat("ab", 32), archives + "docker25.tar"}, 1,
			[]string{"no object in this archive has digest", "its manifest was written by docker save (Docker 25-28, classic image store) over uncompressed layers", "FAILED"}},
		{"against manifest, uncompressed docker-archive", []string{"--against", manifest, "--expect", manifestDigest, archives + "docker-archive.tar"}, 0,
			[]string{"expect " + manifestDigest, "no object in this archive has digest", manifestDigest + " is the digest of " + manifest + ", and the proof below links it to image 0, docker.io/tardigest/fixture:v1 (linux/amd64)",
				"proven        registry digest", "proven        manifest config -> image ID", "proven        config diff_ids -> layer bytes", "not checkable manifest layers[0]",
				"chain proven: the registry digest " + manifestDigest + " leads to exactly the config and layers of image 0, docker.io/tardigest/fixture:v1 (linux/amd64)"}},
		{"against without expect: proven from the file only", []string{"--against", manifest, archives + "docker-archive.tar"}, 0,
			[]string{"not checkable registry digest: no registry digest given", "chain proven from " + manifest + " (whose sha256 is " + manifestDigest + ") to the config and layers of image 0",
				"--expect compares it with a digest you trust", "verified:"}},
		{"against on a multi-image archive: both name the image reached", []string{"--against", manifest, "--expect", manifestDigest, archives + "multi-image.tar"}, 0,
			[]string{"the proof below links it to image 0, tardigest/fixture:v1 (linux/amd64)", "leads to exactly the config and layers of image 0, tardigest/fixture:v1 (linux/amd64)"}},
		{"against on a multi-image archive, the other image selected", []string{"--against", manifest, "--expect", manifestDigest, "--image", "tardigest/fixture:v2", archives + "multi-image.tar"}, 1,
			[]string{"but the proof below links it to no image of this archive", "broken        manifest config -> image ID", "chain NOT proven"}},
		{"against index and platform manifest, docker25", []string{"--against", against + "multiplatform.index.json", "--against", manifest, "--expect", indexDigest, archives + "docker25.tar"}, 0,
			[]string{"proven        index -> platform manifest", "linux/amd64", "chain proven"}},
		{"against manifest, same compressed blobs", []string{"--against", manifest, "--expect", manifestDigest, archives + "oci-archive.tar"}, 0,
			[]string{"proven        manifest layers[0] -> layer blob: layer 0 is stored exactly as pushed", "chain proven"}},
		{"against manifest, other compression", []string{"--against", manifest, archives + "oci-zstd"}, 1,
			[]string{"not checkable registry digest: no registry digest given", "pass --expect with the registry's digest", "broken        manifest layers[0] -> layer blob", "chain NOT proven"}},
		{"against wrong expect", []string{"--against", manifest, "--expect", indexDigest, archives + "docker-archive.tar"}, 1,
			[]string{"broken        registry digest: no captured file has the expected digest", "chain NOT proven"}},
		{"against tampered config digest", []string{"--against", badConfig, archives + "docker-archive.tar"}, 1,
			[]string{"broken        manifest config -> image ID", "9b45641ae215", "chain NOT proven"}},
		{"against tampered config size", []string{"--against", badSize, archives + "docker-archive.tar"}, 1,
			[]string{"broken        manifest config -> image ID", "751 bytes, the archive's is 750", "chain NOT proven"}},
		{"against tampered archive layer", []string{"--against", manifest, "--expect", manifestDigest, archives + "tampered-layer-byte.tar"}, 1,
			[]string{"broken        config diff_ids[0] -> layer bytes", "chain NOT proven"}},
		{"against index without platform manifest", []string{"--against", against + "multiplatform.index.json", archives + "docker-archive.tar"}, 1,
			[]string{"broken        index -> platform manifest", "is neither captured nor in the archive; capture it where the registry is and pass it with --against"}},
		{"skopeo dir: the registry digest proven by the archive alone", []string{"--expect", "sha256:a21623225ae4651828d9a79d79ddad80ebd3b1fb56404a7a8a62e811a0dca136", archives + "skopeo-dir-single-gzip"}, 0,
			[]string{"is the manifest digest of the untagged image sha256:49b6c81a30e1 (linux/amd64), and every blob under it verified", "verified:"}},
		{"skopeo dir: one platform, proven from the captured index", []string{"--against", archives + "skopeo-dir-multi-all/manifest.json", "--expect", "sha256:2bd75a99dd0fc89bf79ad16b9cbe82434da398e785fe3b3a3ab42790ef4762fa", archives + "skopeo-dir-multi-default"}, 0,
			[]string{"the archive stores that manifest and it verified", "chain proven"}},
		{"against index, manifest stored in archive", []string{"--against", against + "multiplatform.index.json", archives + "containerd-multiplatform.tar"}, 0,
			[]string{"the archive stores that manifest and it verified", "chain proven"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, append([]string{"verify"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.wantCode, stderr)
			}
			// The text report wraps its lines: words are compared.
			flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
			rest := flat(stdout)
			for _, w := range tt.want {
				w = flat(w)
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order); stdout:\n%s", w, stdout)
				}
				rest = rest[i+len(w):]
			}
			// The JSON report carries the same answers.
			_, js, _ := runCLI(t, nil, append([]string{"verify", "-o", "json"}, tt.args...)...)
			var doc struct {
				Expectations []struct {
					Digest   string `json:"digest"`
					Verified bool   `json:"verified"`
				} `json:"expectations"`
				Proof *struct {
					Proven     bool   `json:"proven"`
					Expected   bool   `json:"expected"`
					FromDigest string `json:"from_digest"`
				} `json:"proof"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatalf("json: %v", err)
			}
			if doc.Proof == nil && len(doc.Expectations) == 0 {
				t.Errorf("JSON report has neither proof nor expectations")
			}
			if doc.Proof != nil && doc.Proof.Proven != (tt.wantCode == 0) {
				t.Errorf("JSON proof.proven = %v, want %v", doc.Proof.Proven, tt.wantCode == 0)
			}
			// One story: with both flags, the expectation the proof
			// starts from is verified exactly when the proof is proven.
			if doc.Proof != nil && doc.Proof.Expected {
				for _, e := range doc.Expectations {
					if e.Digest == doc.Proof.FromDigest && e.Verified != doc.Proof.Proven {
						t.Errorf("JSON expectation %s verified %v, proof proven %v", e.Digest, e.Verified, doc.Proof.Proven)
					}
				}
			}
			if strings.Contains(stdout, "capture the manifest") && slices.Contains(tt.args, "--against") {
				t.Errorf("asks to capture a manifest with --against given:\n%s", stdout)
			}
		})
	}
}

// checkWidth fails on a line of the text report of 100 characters or
// more that could have been wrapped: one with a space after its
// indentation.
func checkWidth(t *testing.T, out string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if len(line) >= 100 && strings.Contains(strings.TrimLeft(line, " "), " ") {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
}

// runGolden runs the program with args and checks its exit code, then
// compares what it printed with the golden file: stderr for a ".stderr"
// golden (stdout must then be empty), else stdout (stderr must then be
// empty, unless the archive was unreadable). It returns stdout, and
// whether the golden was of stdout.
func runGolden(t *testing.T, args []string, wantCode int, goldenName string) (string, bool) {
	t.Helper()
	code, stdout, stderr := runCLI(t, nil, args...)
	if code != wantCode {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout, stderr)
	}
	if strings.HasSuffix(goldenName, ".stderr") {
		if stdout != "" {
			t.Errorf("stdout of a failed run must be empty, got:\n%s", stdout)
		}
		golden(t, goldenName, stderr)
		return stdout, false
	}
	if stderr != "" && wantCode != exitUnreadable {
		t.Errorf("stderr must be empty, got:\n%s", stderr)
	}
	golden(t, goldenName, stdout)
	return stdout, true
}
