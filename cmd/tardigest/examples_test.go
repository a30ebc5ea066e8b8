package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadmeExamples runs every "$ tardigest ..." example of the README
// and compares what it prints with the lines the README shows under it,
// whole: an example may not be trimmed. Pipes into sha256sum and jq are
// run too.
func TestReadmeExamples(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := readmeExamples(string(readme))
	if len(examples) < 8 {
		t.Fatalf("found %d README examples, want at least 8", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.command, func(t *testing.T) {
			_, got := runPipeline(t, ex.command, nil, relToRepoArg)
			got = strings.ReplaceAll(got, "../../", "")
			if got != ex.output {
				t.Errorf("README shows:\n%s\nthe command prints:\n%s", ex.output, got)
			}
		})
	}
}

// example is a command of the README and the output it shows.
type example struct{ command, output string }

// readmeExamples finds, in every fenced block, each "$ " line (joined
// with the lines its trailing backslash continues) and the lines under
// it up to the next "$ " line or the end of the block.
func readmeExamples(s string) []example {
	var out []example
	inBlock := false
	var cur *example
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if !inBlock {
			continue
		}
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			if cur != nil {
				out = append(out, *cur)
			}
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
			}
			cur = &example{command: cmd}
			continue
		}
		if cur != nil {
			cur.output += line + "\n"
		}
	}
	return out
}

// runPipeline runs a shell-like command line whose first command is
// tardigest, in process, with stdin, and pipes its output through
// sha256sum or jq as the line says. mapArg rewrites each argument of
// tardigest. It returns the exit code of tardigest and the last
// command's output.
func runPipeline(t *testing.T, line string, stdin []byte, mapArg func(string) string) (int, string) {
	t.Helper()
	stages := strings.Split(strings.Join(shellFields(line), "\x00"), "\x00|\x00")
	args := strings.Split(stages[0], "\x00")
	if args[0] != "tardigest" {
		t.Fatalf("%q does not start with tardigest", line)
	}
	if i := slices.Index(args, ">"); i >= 0 {
		args = args[:i] // the output, redirected to a file, is stdout here
	}
	for i := range args[1:] {
		args[i+1] = mapArg(args[i+1])
	}
	code, out, stderr := runCLI(t, stdin, args[1:]...)
	if stderr != "" {
		t.Logf("stderr: %s", stderr)
	}
	for _, stage := range stages[1:] {
		argv := strings.Split(stage, "\x00")
		switch argv[0] {
		case "sha256sum":
			sum := sha256.Sum256([]byte(out))
			out = hex.EncodeToString(sum[:]) + "  -\n"
		case "jq":
			jq, err := exec.LookPath("jq")
			if err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatal("jq is not installed; CI must have it to run the README's examples")
				}
				t.Skip("jq is not installed")
			}
			cmd := exec.Command(jq, argv[1:]...)
			cmd.Stdin = strings.NewReader(out)
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("jq %q: %v", argv[1:], err)
			}
			out = string(b)
		default:
			t.Fatalf("%q: cannot run %q in a test", line, argv[0])
		}
	}
	return code, out
}

// relToRepoArg makes a repository-relative path usable from this
// package; other arguments are left alone.
func relToRepoArg(arg string) string {
	if strings.HasPrefix(arg, "testdata/") {
		return filepath.Join("..", "..", arg)
	}
	return arg
}

// shellFields splits a command line as a POSIX shell would for these
// examples: words separated by blanks, '...' and "..." quoting, a
// backslash escaping the next character outside single quotes, "|" and
// ">" words of their own, and a "#" word starting a comment.
func shellFields(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			return words
		case c == '|' || c == '>':
			flush()
			words = append(words, string(c))
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				j = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	flush()
	return words
}

func TestShellFields(t *testing.T) {
	got := strings.Join(shellFields(`tardigest images --format 'table {{.ID}}\t{{.Tag}}' "a b" x\ y | jq -c '.[]' # comment`), "|")
	want := `tardigest|images|--format|table {{.ID}}\t{{.Tag}}|a b|x y|||jq|-c|.[]`
	if got != want {
		t.Errorf("shellFields = %q, want %q", got, want)
	}
}

// helpPlaceholders are the example names of the help text, each
// standing for a fixture that shows the example at work.
var helpPlaceholders = map[string]string{
	"image.tar":           archives + "docker-archive.tar",
	"docker-save.tar":     archives + "docker-archive.tar",
	"multi.tar":           archives + "multi-image.tar",
	"oci-dir/":            archives + "oci-gzip",
	"skopeo-dir/":         archives + "skopeo-dir-multi-all",
	"oci-archive.tar":     archives + "oci-archive.tar",
	"containerd-save.tar": archives + "containerd-multiplatform.tar",
	"m.json":              "../../testdata/against/oci-gzip-v1.manifest.json",
	"busybox:latest":      "tardigest/fixture:v2",
	"busybox@sha256:...":  "fixture-multi@sha256:5e6eb86fd9358159d019cb60de422c9f2e42b44e4af32c2ea0a4d5af3e3402d6",
	"sha256:...":          "sha256:3492be52b83cabd469239b9656a0f1a3cfc236dd9919109a8cdbb9408b8c0316",
	".dive-ci":            "../../testdata/content/dive-ci.yaml",
	"cosign.pub":          "../../testdata/artifacts/keys/cosign.pub",
	"app/":                "../../testdata/artifacts/cosign-save",
}

// TestHelpExamples runs every example the help of every command prints,
// the archive names it uses standing for fixtures: each must succeed and
// print something. A stream piped into tardigest is a docker save.
func TestHelpExamples(t *testing.T) {
	app := newApp(nil, nil, nil, testEnv)
	stdin, err := os.ReadFile(archives + "docker-archive.tar")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range app.Commands {
		_, examples, found := strings.Cut(c.Description, "Examples:\n")
		if !found {
			continue
		}
		for _, line := range strings.Split(examples, "\n") {
			line = strings.TrimSpace(line)
			var in []byte
			if _, after, piped := strings.Cut(line, "| tardigest "); piped && !strings.HasPrefix(line, "tardigest ") {
				line, in = "tardigest "+after, stdin
			}
			if !strings.HasPrefix(line, "tardigest ") {
				continue // a command of another tool, such as crane
			}
			n++
			t.Run(line, func(t *testing.T) {
				// Pipes after tardigest (jq, sha256sum) are left out:
				// what tardigest prints is checked here.
				command, _, _ := strings.Cut(line, " | ")
				code, out := runPipeline(t, command, in, func(arg string) string {
					if p, ok := helpPlaceholders[arg]; ok {
						return p
					}
					return arg
				})
				if code != exitOK || strings.TrimSpace(out) == "" {
					t.Errorf("exit %d, output %q", code, out)
				}
			})
		}
	}
	if n < 15 {
		t.Errorf("ran %d help examples, want at least 15", n)
	}
}
