package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/internal/archivetest"
)

// preV110 is a docker save written before Docker 1.10: repositories and
// <v1id>/{json,layer.tar}, no config, no manifest.
const preV110 = `comment: docker save before Docker 1.10
expect: ok
-- repositories --
{"box":{"1":"` + v1b + `"}}
-- ` + v1a + `/json --
{"id":"` + v1a + `"}
-- ` + v1a + `/layer.tar (layer none) --
etc/hostname: box
-- ` + v1b + `/json --
{"id":"` + v1b + `","parent":"` + v1a + `"}
-- ` + v1b + `/layer.tar (layer none) --
app/run: true
`

const (
	v1a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	v1b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// TestUnverifiable checks that verify on an archive that claims no
// digest says plainly that nothing was verified, and exits 1, as the
// README documents; inspect reads it fine, and config has none to print.
func TestUnverifiable(t *testing.T) {
	c, err := archivetest.Parse("pre-1.10.txt", []byte(preV110))
	if err != nil {
		t.Fatal(err)
	}
	path := c.File(t)
	code, out, _ := runCLI(t, nil, "verify", path)
	if code != exitMismatch || !strings.Contains(out, "NOT VERIFIED: the archive claims no digest") || strings.Contains(out, "verified: every claim") {
		t.Errorf("verify: exit %d, want 1 and NOT VERIFIED:\n%s", code, out)
	}
	code, out, _ = runCLI(t, nil, "verify", "-o", "json", path)
	var doc struct {
		Verdict struct {
			Status   string `json:"status"`
			ExitCode int    `json:"exit_code"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitMismatch || doc.Verdict.Status != "unverifiable" || doc.Verdict.ExitCode != exitMismatch {
		t.Errorf("verify -o json: exit %d, verdict %+v (%v)", code, doc.Verdict, err)
	}
	if code, _, _ := runCLI(t, nil, "inspect", path); code != exitOK {
		t.Errorf("inspect: exit %d, want 0", code)
	}
	if code, _, stderr := runCLI(t, nil, "config", path); code != exitMismatch {
		t.Errorf("config: exit %d, want 1: %s", code, stderr)
	}
}

// TestVerdictExitCode checks that the JSON verdict carries the exit code
// of the run.
func TestVerdictExitCode(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"verify", "-o", "json", archives + "docker-archive.tar"}, exitOK},
		{[]string{"verify", "-o", "json", archives + "tampered-diffid.tar"}, exitMismatch},
		{[]string{"inspect", "-o", "json", archives + "tampered-diffid.tar"}, exitOK},
		{[]string{"verify", "-o", "json", archives + "truncated.tar"}, exitUnreadable},
	} {
		code, out, _ := runCLI(t, nil, tt.args...)
		var doc struct {
			Verdict struct {
				ExitCode int `json:"exit_code"`
			} `json:"verdict"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != tt.want || doc.Verdict.ExitCode != tt.want {
			t.Errorf("%q: exit %d, verdict exit_code %d, want %d (%v)", tt.args, code, doc.Verdict.ExitCode, tt.want, err)
		}
	}
}

func TestFlagsFirst(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{"verify x.tar -o json", "verify -o json x.tar", ""},
		{"verify x.tar --output=json --image v1", "verify --output=json --image v1 x.tar", ""},
		{"verify --expect sha256:a x.tar --against m.json", "verify --expect sha256:a --against m.json x.tar", ""},
		{"images x.tar --digests -q", "images --digests -q x.tar", ""},
		{"inspect - -o json", "inspect -o json -", ""},
		{"inspect -o json -- -odd.tar", "inspect -o json -- -odd.tar", ""},
		{"inspect -- x.tar -o", "inspect -- x.tar -o", ""},
		{"inspect x.tar -- y", "inspect x.tar y", ""},
		{"--help", "--help", ""},
		{"help verify", "help verify", ""},
		{"verify x.tar --frobnicate", "verify --frobnicate x.tar", ""},
		{"verify x.tar --generate-bash-completion", "verify x.tar --generate-bash-completion", ""},
		{"verfy x.tar", "", `unknown command "verfy"`},
		{"hist x.tar", "", `unknown command "hist"`},
	}
	for _, tt := range tests {
		app := newApp(nil, nil, nil, testEnv)
		got, err := flagsFirst(app, append([]string{"tardigest"}, strings.Fields(tt.in)...))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || exitCodeFor(err) != exitUsage {
				t.Errorf("flagsFirst(%q) = %q, %v; want a usage error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got[1:], strings.Fields(tt.want)) {
			t.Errorf("flagsFirst(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	app := newApp(nil, nil, nil, testEnv)
	for in, want := range map[string]string{"verfy": "verify", "hist": "history", "imges": "images", "zzzzzz": ""} {
		err := unknownCommand(app, in)
		var he hintError
		if !strings.Contains(err.Error(), in) || !asHint(err, &he) || (want != "" && !strings.Contains(he.hint, "'tardigest "+want+"'")) || (want == "" && strings.Contains(he.hint, "did you mean")) {
			t.Errorf("unknownCommand(%q) = %v (hint %q), want a suggestion of %q", in, err, he.hint, want)
		}
	}
}

func asHint(err error, he *hintError) bool {
	h, ok := err.(hintError)
	*he = h
	return ok
}

// TestInterruptedJSON checks that an interrupted run writes no
// "unreadable" document: an interrupt says nothing of the archive.
func TestInterruptedJSON(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"tardigest", "verify", "-o", "json", archives + "docker-archive.tar"}, nil, &stdout, &stderr, testEnv)
	if code != exitInterrupted || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q; want %d and nothing", code, stdout.String(), exitInterrupted)
	}
}
