package tarball

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tardigest/tardigest/layer"
)

// ReadLayer reads the stored bytes of layer j of image i a second time,
// from the archive the Result was read from, named name (a file or a
// directory: a stream cannot be read twice), and gives every byte of its
// diffID to content, as the first read did. It returns the layer's
// identities computed again, so that the caller can check they did not
// change in between. Only that blob is read from a plain tar file (the
// headers before it are skipped by seeking) or a directory; a file
// compressed as a whole is decompressed up to the blob.
func (r *Result) ReadLayer(ctx context.Context, name string, i, j int, opts Options, content io.Writer) (layer.Result, error) {
	opts.normalize()
	if i < 0 || i >= len(r.Images) || j < 0 || j >= len(r.Images[i].Layers) {
		return layer.Result{}, fmt.Errorf("%w: image %d layer %d", ErrNoImage, i, j)
	}
	if i >= len(r.trees) || j >= len(r.trees[i].entries) || r.trees[i].entries[j] == "" {
		return layer.Result{}, fmt.Errorf("%w: layer %d of %s was not read", ErrMissing, j, imageName(r.Images[i]))
	}
	entry := r.trees[i].entries[j]
	lopts := layer.Options{Algorithm: algorithmFromName(entry), Limits: opts.Limits.Layer, Content: content}
	info, err := os.Stat(name)
	if err != nil {
		return layer.Result{}, err
	}
	if info.IsDir() {
		root, err := os.OpenRoot(name)
		if err != nil {
			return layer.Result{}, err
		}
		defer root.Close()
		f, err := root.Open(entry)
		if err != nil {
			return layer.Result{}, fmt.Errorf("open %q: %w", entry, err)
		}
		defer f.Close()
		return layer.Compute(ctx, f, lopts)
	}
	f, err := os.Open(name)
	if err != nil {
		return layer.Result{}, err
	}
	defer f.Close()
	in, container, closer, err := outerReader(opts.input(f), &opts)
	if err != nil {
		return layer.Result{}, err
	}
	defer closer()
	if container == ContainerTar {
		// Read the file itself, not the buffered peek: archive/tar seeks
		// past the bodies of a reader that can seek.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return layer.Result{}, err
		}
		in = f
	}
	return computeEntry(ctx, tar.NewReader(in), entry, lopts)
}

// computeEntry finds the first entry named name in tr, as the catalog
// kept the first of duplicates, and computes it.
func computeEntry(ctx context.Context, tr *tar.Reader, name string, lopts layer.Options) (layer.Result, error) {
	for {
		if err := ctx.Err(); err != nil {
			return layer.Result{}, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return layer.Result{}, fmt.Errorf("%w: %q is no longer in the archive", ErrMismatch, name)
		}
		if err != nil {
			return layer.Result{}, entryReadError(name, err)
		}
		if clean, err := cleanName(hdr.Name); err != nil || clean != name {
			continue
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != typeRegA && hdr.Typeflag != tar.TypeGNUSparse {
			return layer.Result{}, fmt.Errorf("%w: %q is no longer a regular file", ErrMismatch, name)
		}
		res, err := layer.Compute(ctx, tr, lopts)
		if err != nil {
			return layer.Result{}, entryReadError(name, err)
		}
		return res, nil
	}
}
