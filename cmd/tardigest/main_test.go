package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const archives = "../../testdata/archives/"

// runCLI runs the program in process and returns its exit code, stdout
// and stderr.
func runCLI(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"tardigest"}, args...), bytes.NewReader(stdin), &stdout, &stderr)
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
		{"verify missing file", []string{"verify", archives + "no-such-file.tar"}, 3, "verify-no-such-file.stderr"},
		{"no argument", []string{"verify"}, 2, "usage-no-argument.stderr"},
		{"two arguments", []string{"inspect", "a", "b"}, 2, "usage-two-arguments.stderr"},
		{"bad output", []string{"verify", "--output", "yaml", archives + "docker-archive.tar"}, 2, "usage-bad-output.stderr"},
		{"unknown flag", []string{"verify", "--frobnicate", archives + "docker-archive.tar"}, 2, "usage-unknown-flag.stderr"},
		{"unknown image", []string{"verify", "--image", "nope:v9", archives + "docker-archive.tar"}, 2, "usage-unknown-image.stderr"},
		{"help", []string{"--help"}, 0, "help.txt"},
		{"verify help", []string{"verify", "--help"}, 0, "help-verify.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			if strings.HasSuffix(tt.golden, ".stderr") {
				if stdout != "" {
					t.Errorf("stdout of a failed run must be empty, got:\n%s", stdout)
				}
				golden(t, tt.golden, stderr)
				return
			}
			if stderr != "" {
				t.Errorf("stderr must be empty, got:\n%s", stderr)
			}
			golden(t, tt.golden, stdout)
			if strings.HasSuffix(tt.golden, ".json") {
				var v map[string]any
				if err := json.Unmarshal([]byte(stdout), &v); err != nil {
					t.Errorf("output is not JSON: %v", err)
				}
			}
		})
	}
}

// TestStdinMatchesFile checks that "-" reads the same archive from a pipe
// and reports exactly what the file gives, for every whole-archive form.
func TestStdinMatchesFile(t *testing.T) {
	for _, name := range []string{"docker-archive.tar", "docker-archive.tar.gz", "docker-archive.tar.zst", "oci-archive.tar", "docker25.tar", "multi-image.tar"} {
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
	code := run(ctx, []string{"tardigest", "verify", archives + "docker-archive.tar"}, nil, &stdout, &stderr)
	if code != exitInterrupted {
		t.Errorf("exit code %d, want %d; stderr: %s", code, exitInterrupted, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout not empty: %s", stdout.String())
	}
}
