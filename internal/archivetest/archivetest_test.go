package archivetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `comment: a sample
expect: ok
kind: a
kind: b
limits: max-json-bytes=10 max-index-depth=2
-- layer (layer gzip) (blob) --
etc/hostname: box
etc/
bin/sh -> busybox
bin/ash => bin/sh
-- config (at {{hex config}}.json) --
{"diff_ids":["{{diffid layer}}"],"size":{{size layer}},"n":[{{repeat 3 ,}}{{repeat 2}}x{{end}}{{end}}]}
-- sparse (sparse 2000) --
hello
-- link (symlink -> ../x) --
-- lie (size 1000) --
short
`

func TestParseAndBuild(t *testing.T) {
	c, err := Parse("sample.txt", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if c.Expect != "ok" || len(c.Kinds) != 2 || c.Limits["max-index-depth"] != 2 || len(c.Sections) != 5 {
		t.Fatalf("parsed %+v", c)
	}
	if got := c.Sections[3].Mods[0].Args; len(got) != 1 || got[0] != "../x" {
		t.Errorf("symlink args = %q", got)
	}
	layerGz, err := c.Bytes("layer")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(layerGz))
	if err != nil {
		t.Fatal(err)
	}
	layerTar, _ := io.ReadAll(zr)
	sum := sha256.Sum256(layerTar)
	cfg, err := c.Bytes("config")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"diff_ids":["sha256:` + hex.EncodeToString(sum[:]) + `"],"size":` + itoa(len(layerGz)) + `,"n":[xx,xx,xx]}`
	if string(cfg) != want {
		t.Errorf("config:\n got %s\nwant %s", cfg, want)
	}

	arch, err := c.Archive()
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(arch))
	var names []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
				t.Fatalf("after %q: %v", names, err)
			}
			break
		}
		names = append(names, hdr.Name)
		body, err := io.ReadAll(tr)
		if hdr.Name == "sparse" {
			if err != nil || len(body) != 2005 || string(body[:5]) != "hello" || strings.Trim(string(body[5:]), "\x00") != "" {
				t.Errorf("sparse member: %d bytes, %v", len(body), err)
			}
		}
		if hdr.Name == "lie" && err == nil {
			t.Errorf("entry claiming 1000 bytes read without error")
		}
	}
	sumCfg := sha256.Sum256(cfg)
	wantNames := []string{"blobs/sha256/" + hexOf(layerGz), hex.EncodeToString(sumCfg[:]) + ".json", "sparse", "link", "lie"}
	if strings.Join(names, " ") != strings.Join(wantNames, " ") {
		t.Errorf("names:\n got %q\nwant %q", names, wantNames)
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no expect":       "-- a --\n",
		"unknown key":     "expect: ok\nfoo: bar\n",
		"bad expect":      "expect: fine\n",
		"unknown mod":     "expect: ok\n-- a (gzip) --\n",
		"bad limit":       "expect: ok\nlimits: max-foo=1\n",
		"fatal ok":        "expect: ok\nfatal: true\n",
		"raw two":         "expect: malformed\ncontainer: raw\n-- a --\n-- b --\n",
		"too many args":   "expect: ok\n-- a (at x y) --\n",
		"empty container": "expect: ok\ncontainer: zip\n",
	} {
		if _, err := Parse(name, []byte(text)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
	for name, text := range map[string]string{
		"cycle":       "expect: ok\n-- a --\n{{digest b}}\n-- b --\n{{digest a}}\n",
		"missing ref": "expect: ok\n-- a --\n{{digest nope}}\n",
		"no end":      "expect: ok\n-- a --\n{{repeat 3}}x\n",
		"bad hex":     "expect: ok\n-- a (hex) --\nzz\n",
	} {
		c, err := Parse(name, []byte(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := c.Archive(); err == nil {
			t.Errorf("%s: built without error", name)
		}
	}
}

func TestDir(t *testing.T) {
	c, err := Parse("dir.txt", []byte("expect: ok\ncontainer: directory\n-- secret (outside) --\nx\n-- blob (blob) --\nx\n-- blobs/link (symlink ../../outside/secret) --\n"))
	if err != nil {
		t.Fatal(err)
	}
	root := c.Dir(t)
	b, err := os.ReadFile(filepath.Join(root, "blobs", "link"))
	if err != nil || string(b) != "x" {
		t.Fatalf("through the link: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "blobs", "sha256", hexOf([]byte("x")))); err != nil {
		t.Fatal(err)
	}
}

func hexOf(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func itoa(n int) string {
	var b []byte
	for ; n > 0 || len(b) == 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestRepeatIndex: {{i}} counts the copies of the innermost repeat, and a
// (repeat N) section is written N times with its own {{i}}.
func TestRepeatIndex(t *testing.T) {
	c, err := Parse("i.txt", []byte(`expect: ok
-- list --
[{{repeat 3 ,}}"t{{i}}:{{repeat 2}}{{i 10}}{{end}}"{{end}}]
-- {{i 0 64}}/json (repeat 3) --
{"id":"{{i}}","parent":"{{i -1 64}}"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Bytes("list"); err != nil || string(got) != `["t0:1011","t1:1011","t2:1011"]` {
		t.Errorf("list = %s, %v", got, err)
	}
	data, err := c.Archive()
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	var names, bodies []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		names = append(names, hdr.Name)
		bodies = append(bodies, string(b))
	}
	zero := strings.Repeat("0", 63)
	want := []string{"list", zero + "0/json", zero + "1/json", zero + "2/json"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("names %q, want %q", names, want)
	}
	if len(bodies) == 4 && bodies[2] != `{"id":"1","parent":"`+zero+`0"}` {
		t.Errorf("body of copy 1: %s", bodies[2])
	}
	if _, err := Parse("bad.txt", []byte("expect: ok\n-- x --\n{{i}}\n")); err != nil {
		t.Fatal(err)
	}
	bad, _ := Parse("bad.txt", []byte("expect: ok\n-- x --\n{{i}}\n"))
	if _, err := bad.Bytes("x"); err == nil {
		t.Errorf("{{i}} outside a repeat is accepted")
	}
}
