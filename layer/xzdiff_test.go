package layer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
)

// docker load decompresses xz layers with `xz -d -c -q`: when XZ Utils is
// installed, these tests hold the xz reader to it. CI's machine may not
// have it; the hand-made cases of TestComputeDecoders run everywhere.

// xzUtilsLimit bounds what xz -dc may output in these tests.
const xzUtilsLimit = 8 << 20

// xzUtils decodes in with xz -dc -q. ok is false when it exits non-zero
// (a warning, exit 2, makes docker load fail too); big when its output
// is over xzUtilsLimit and was not read to the end.
func xzUtils(tb testing.TB, in []byte) (d digest.Digest, n int64, ok, big bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xz", "-d", "-c", "-q")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	h := sha256.New()
	n, _ = io.Copy(h, io.LimitReader(out, xzUtilsLimit+1))
	if n > xzUtilsLimit {
		cmd.Process.Kill()
		cmd.Wait()
		return "", n, false, true
	}
	werr := cmd.Wait()
	if ctx.Err() != nil {
		tb.Fatalf("xz -dc did not finish: %v", ctx.Err())
	}
	return digest.Digest("sha256:" + hex.EncodeToString(h.Sum(nil))), n, werr == nil, false
}

func needXzUtils(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("xz"); err != nil {
		tb.Skip("xz (XZ Utils) is not installed")
	}
}

// agreeWithXzUtils checks Compute's view of in against xz -dc's: what xz
// decodes, Compute decodes to the same bytes, unless it refuses it as
// unsupported or over a limit; what xz refuses, Compute refuses.
func agreeWithXzUtils(t *testing.T, in []byte, lim layer.Limits) {
	t.Helper()
	want, n, ok, big := xzUtils(t, in)
	if big {
		return
	}
	got, err := layer.Compute(context.Background(), bytes.NewReader(in), layer.Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case ok && got.DiffIDErr == nil && (got.DiffID != want || got.UncompressedSize != n):
		t.Errorf("xz -dc gives %d bytes, %s; Compute gives %d bytes, %s", n, want, got.UncompressedSize, got.DiffID)
	case ok && got.DiffIDErr != nil && !errors.Is(got.DiffIDErr, layer.ErrUnsupported) && !errors.Is(got.DiffIDErr, layer.ErrLimit):
		t.Errorf("xz -dc decodes %d bytes, %s; Compute says %v", n, want, got.DiffIDErr)
	case !ok && got.DiffIDErr == nil:
		t.Errorf("xz -dc fails; Compute gives %d bytes, %s", got.UncompressedSize, got.DiffID)
	}
}

// TestXzCasesAgreeWithXzUtils runs the hand-made xz cases through xz -dc:
// the hand-made writer follows the format, and each rule the reader
// enforces is one xz enforces.
func TestXzCasesAgreeWithXzUtils(t *testing.T) {
	needXzUtils(t)
	t.Parallel()
	for _, tc := range decoderCases(t) {
		if tc.want.Compression != layer.Xz {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			agreeWithXzUtils(t, tc.in, tc.opts.Limits)
		})
	}
}

// FuzzXzMatchesXzUtils is TestXzCasesAgreeWithXzUtils on mutated streams:
// go test -run='^$' -fuzz=FuzzXzMatchesXzUtils ./layer
func FuzzXzMatchesXzUtils(f *testing.F) {
	needXzUtils(f)
	for _, tc := range decoderCases(f) {
		if tc.want.Compression == layer.Xz && len(tc.in) < 64<<10 {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if layer.Detect(in) != layer.Xz {
			return
		}
		agreeWithXzUtils(t, in, layer.Limits{MaxUncompressedBytes: xzUtilsLimit, MaxWindowBytes: 64 << 20})
	})
}
