package tarball_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/tarball"
)

// trRead reads the case file name of testdata/cases.
func trRead(t *testing.T, name string) (*tarball.Result, *archivetest.Case) {
	t.Helper()
	c := archivetest.Load(t, filepath.Join(csDir, name))
	res, err := tarball.Read(context.Background(), bytes.NewReader(c.MustArchive(t)), csOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	return res, c
}

// TestExpectNoImage: --expect of the index of an archive whose every
// platform is absent does not verify, and says that none did.
func TestExpectNoImage(t *testing.T) {
	res, c := trRead(t, "graph-all-platforms-absent.txt")
	list, err := c.Bytes("list")
	if err != nil {
		t.Fatal(err)
	}
	e := res.Expect(digest.FromBytes(list))
	if e.Verified || len(e.Messages) != 1 || !strings.Contains(e.Messages[0], "platforms verified: none") {
		t.Errorf("Expect = %+v, want not verified, no platform verified", e)
	}
	if res.Err(-1) == nil {
		t.Errorf("an archive without images verified")
	}
}
