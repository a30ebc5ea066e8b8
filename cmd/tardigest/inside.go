package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/tarball"
)

func lsCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list the files of an image, as tar -tv does, with the layer that wrote each",
		ArgsUsage: "ARCHIVE [PATH...]",
		Description: `Lists the image's merged filesystem: its layers applied in order, whiteouts
and opaque directories included, as docker and containerd extract them,
from the tar headers alone (nothing is extracted). Each line: mode,
uid/gid, size, time (UTC), the layer that wrote the path (numbered base
first, as in inspect and layers), the path, "-> target" for a symlink and
"link to NAME" for a hard link. Without PATH, the root; a directory PATH
lists its entries, -R everything below; symlinks are resolved inside the
image, never on the host. --layer N lists what layer N's own tar holds
instead, in tar order, whiteouts included. Names are escaped as in C.

Exits 1 when a PATH does not exist (or is whited out).

Examples:
   tardigest ls image.tar
   tardigest ls -R image.tar /etc
   tardigest ls --layer 2 image.tar
   tardigest ls -o json image.tar /usr/local/bin | jq '.[] | select(.mode >= 2048)'`,
		Flags: flags(outputFlags(), []cli.Flag{
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"R"}, Usage: "list directories recursively"},
			&cli.IntFlag{Name: "layer", Value: -1, DefaultText: "all, merged", Usage: "list layer `N`'s own entries, whiteouts included"},
		}, readFlags()),
		Action: func(c *cli.Context) error { return runLs(c, e) },
	}
}

func runLs(c *cli.Context, e env) error {
	output, err := outputMode(c)
	if err != nil {
		return err
	}
	res, _, image, err := load(c, e)
	if err != nil {
		return err
	}
	if image, err = contentImage(res, image); err != nil {
		return err
	}
	paths := c.Args().Tail()
	var walk report.FileWalk
	missing := map[int]error{}
	if n := c.Int("layer"); c.IsSet("layer") {
		if count := len(res.Images[image].Layers); n < 0 || n >= count {
			return usageError{fmt.Errorf("--layer %d: the image has %d layers, numbered from 0", n, count)}
		}
		l, err := res.LayerFiles(image, n)
		if err != nil {
			return err
		}
		walk = layerWalk(l, n, paths)
	} else {
		fs, err := res.Filesystem(image)
		if err != nil {
			return err
		}
		walk = mergedWalk(fs, paths, c.Bool("recursive"), missing)
	}
	switch output {
	case "json":
		err = report.FilesJSON(c.App.Writer, walk)
	case "format":
		var rows []report.FileRow
		if rows, err = report.Rows(walk); err == nil {
			err = report.Template(c.App.Writer, c.String("format"), rows)
		}
	default:
		err = report.Files(c.App.Writer, walk)
	}
	if err != nil {
		return err
	}
	for k := range len(paths) {
		if m := missing[k]; m != nil {
			fmt.Fprintf(c.App.ErrWriter, "tardigest: ls: %v\n", m) // %q-quoted: no raw control characters
		}
	}
	if len(missing) > 0 {
		return exitError{code: exitMismatch}
	}
	return nil
}

// mergedWalk lists each path of the merged filesystem as ls does: a
// directory's entries (everything below with recursive), anything else
// itself; the paths that do not resolve go to missing, by position.
func mergedWalk(fs *tree.Image, paths []string, recursive bool, missing map[int]error) report.FileWalk {
	if len(paths) == 0 {
		paths = []string{"/"}
	}
	return func(yield func(report.FileRow) error) error {
		each := func(e tree.Entry) error { return yield(report.FileRowOf(e, -1)) }
		for k, p := range paths {
			self, err := fs.Lookup(p, false)
			if err != nil {
				missing[k] = err
				continue
			}
			if self.Type != tree.TypeDir && !strings.HasSuffix(p, "/") {
				err = each(self)
			} else if err = fs.Walk(p, recursive, each); errors.Is(err, tree.ErrNotDir) || errors.Is(err, tree.ErrNotFound) || errors.Is(err, tree.ErrLoop) {
				missing[k], err = err, nil
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// layerWalk lists layer n's own entries at or under one of paths (all
// without paths); paths are compared cleaned, without a leading slash.
func layerWalk(l *tree.Layer, n int, paths []string) report.FileWalk {
	return func(yield func(report.FileRow) error) error {
		return l.Walk(func(e tree.Entry) error {
			if !underAny(e.Path, paths) {
				return nil
			}
			return yield(report.FileRowOf(e, n))
		})
	}
}

// underAny reports whether p is at or under one of paths (true without
// paths).
func underAny(p string, paths []string) bool {
	if len(paths) == 0 {
		return true
	}
	for _, q := range paths {
		q = strings.Trim(q, "/")
		if q == "" || p == q || strings.HasPrefix(p, q+"/") {
			return true
		}
	}
	return false
}

func layersCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "layers",
		Usage:     "show what each layer of an image holds and changes, beside its step and diffID",
		ArgsUsage: "ARCHIVE",
		Description: `One row per layer, base first and numbered as inspect, ls --layer and the
findings number them (docker history lists steps newest first and has no
numbers; its empty steps make no layer): the step that made the layer,
its diffID, the bytes of files it stores (SIZE) and its entries, the
paths it ADDED, CHANGED (written over a lower layer's) and REMOVED, its
WHITEOUTS (whiteout and opaque entries), RECLAIMABLE (the bytes it stores
that the image never shows: overwritten or deleted later; squashing saves
them) and FLAGGED files (setuid, setgid, world-writable, capabilities,
extended attributes). Counts are of non-directory paths.

Examples:
   tardigest layers image.tar
   tardigest layers --no-trunc --image busybox:latest multi.tar
   tardigest layers -o json image.tar | jq '.[] | select(.reclaimable > 0)'`,
		Flags: flags(outputFlags(), tableFlags(), readFlags()),
		Action: func(c *cli.Context) error {
			output, err := outputMode(c)
			if err != nil {
				return err
			}
			res, _, image, err := load(c, e)
			if err != nil {
				return err
			}
			if image, err = contentImage(res, image); err != nil {
				return err
			}
			rows := report.LayerRows(res.Images[image])
			return writeRows(c, output, rows,
				func() error { return report.Layers(c.App.Writer, rows, tableOptions(c, e)) },
				func() error { return report.Template(c.App.Writer, c.String("format"), rows) })
		},
	}
}

// contentImage returns the image a content command shows: the one
// --image and --platform select (load resolved them), or the archive's
// only image.
func contentImage(res *tarball.Result, image int) (int, error) {
	return onlyImage(res, image)
}

// contentError gives the error of a path that cannot be shown its exit
// code: 1, as ls and cat say "no such file".
func contentError(err error) error {
	switch {
	case errors.Is(err, tree.ErrNotFound), errors.Is(err, tree.ErrNotDir), errors.Is(err, tree.ErrLoop):
		return fmt.Errorf("%w: %v", tarball.ErrMissing, err)
	}
	return err
}
