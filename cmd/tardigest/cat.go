package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/tarball"
)

func catCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "cat",
		Usage:     "print one file of an image, byte for byte, from a layer whose diffID verified",
		ArgsUsage: "ARCHIVE PATH",
		Description: `Prints the bytes of PATH in the image's merged filesystem (its layers applied
in order, whiteouts included), symlinks resolved inside the image root,
never on the host. Nothing is extracted and nothing is written but
standard output.

How the bytes are verified: the archive is read once as verify reads it,
every layer hashed and its diffID compared with the image's config; cat
refuses (exit 1) unless every layer of the image matched. Then only the
blob of the layer that holds PATH's bytes is read again (from a file or a
directory: a stream on stdin cannot be read twice), its file streamed to
standard output as it goes by, and its diffID computed again: if it
differs, the archive changed between the two reads, and cat says so on
stderr and exits 1 after the bytes.

Exits 1 when PATH does not exist or is whited out, is a directory, a
device or a FIFO, or the layers did not verify; 3 for a sparse file,
which is not expanded.

Examples:
   tardigest cat image.tar /etc/os-release
   tardigest cat --image busybox:latest multi.tar bin/hello | sha256sum
   tardigest cat --platform linux/amd64 oci-dir/ /usr/local/bin/hello`,
		Flags:  readFlags(),
		Action: func(c *cli.Context) error { return runCat(c, e) },
	}
}

// fileError is a PATH that names no file cat can print: exit 1, as cat(1).
type fileError struct{ error }

func (e fileError) Unwrap() error { return e.error }

func runCat(c *cli.Context, e env) error {
	if c.Args().First() == "-" {
		return usageError{fmt.Errorf("cat reads the archive twice (verify, then the one layer): give a file or a directory, not a stream")}
	}
	res, src, image, err := load(c, e)
	if err != nil {
		return err
	}
	if image, err = contentImage(res, image); err != nil {
		return err
	}
	if err := layersVerified(res.Images[image]); err != nil {
		return err
	}
	fs, err := res.Filesystem(image)
	if err != nil {
		return err
	}
	path := c.Args().Get(1)
	entry, err := fs.Lookup(path, true)
	if err != nil {
		return fileError{contentError(err)}
	}
	if err := printable(path, entry); err != nil {
		return err
	}
	out := &countingWriter{w: c.App.Writer}
	w := tree.NewWalker(tree.Options{
		Limits: tree.Limits{MaxEntries: c.Int("max-files")},
		Body: func(i int) io.Writer {
			if i == entry.ContentIndex {
				return out
			}
			return nil
		},
	})
	again, err := res.ReadLayer(c.Context, src, image, entry.ContentLayer, readOptions(c), w)
	w.Finish()
	switch {
	case err != nil:
		return err
	case out.err != nil:
		return out.err
	}
	want := res.Images[image].Layers[entry.ContentLayer].DiffID
	if again.DiffID != want {
		return fmt.Errorf("%w: layer %d changed since it was verified: its diffID is now %s, was %s; the bytes printed are not verified",
			tarball.ErrMismatch, entry.ContentLayer, again.DiffID, want)
	}
	if out.n != entry.Size {
		return fmt.Errorf("%w: %q: printed %d bytes, its header says %d", tarball.ErrMismatch, path, out.n, entry.Size)
	}
	return nil
}

// layersVerified refuses an image whose layers did not all verify: the
// bytes cat prints must come from a layer whose diffID matched.
func layersVerified(img *tarball.Image) error {
	for j, l := range img.Layers {
		switch {
		case !l.Present:
			return fmt.Errorf("%w: layer %d is not in the archive", tarball.ErrMissing, j)
		case l.ConfigDiffID == "":
			return fmt.Errorf("%w: layer %d: no config claims its diffID, so its bytes cannot be verified", tarball.ErrMissing, j)
		case l.DiffID != l.ConfigDiffID:
			return fmt.Errorf("%w: layer %d: diffID %s, the config says %s: refusing to print unverified bytes (run verify)",
				tarball.ErrMismatch, j, displayDigest(l.DiffID), l.ConfigDiffID)
		}
	}
	return nil
}

func displayDigest(d fmt.Stringer) string {
	if s := d.String(); s != "" {
		return s
	}
	return "none (it does not decompress)"
}

// printable refuses what is not a regular file's bytes.
func printable(path string, entry tree.Entry) error {
	switch entry.Type {
	case tree.TypeFile, tree.TypeHardlink:
	case tree.TypeDir:
		return fileError{fmt.Errorf("%q is a directory", path)}
	default:
		return fileError{fmt.Errorf("%q is a %s, not a regular file", path, entry.Type)}
	}
	if entry.Sparse {
		return fmt.Errorf("%w: %q is a sparse file, which cat does not expand", tarball.ErrUnsupported, path)
	}
	return nil
}

// countingWriter counts the bytes written and keeps the first error, so
// that a closed pipe is reported once the layer is read.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return len(p), nil
}
