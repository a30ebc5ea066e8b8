package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/compare"
	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/tarball"
)

func diffCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two archives' images, or list the blobs one needs that others lack (--ship)",
		ArgsUsage: "A B | --ship HAVE... NEW",
		Description: `diff A B compares the images of two archives, each read and verified in
its own single pass, both at once. Images are paired by a reference they
share (tag, ref name), then by platform; with one image on each side,
directly. --image, --image-a, --image-b and --platform choose them.

For each pair: the identities side by side (image ID, manifest digest,
registry digest when the archive proves it, top chain ID); the config
keys added, removed and changed; the layers matched by diffID (content),
so that a layer stored with another compression is shared content, said
so, with the first layer that differs; and the files of the merged
filesystems added, removed and modified (type, mode, owner, size, link
target, content). Contents are compared by a sha256 of the file only
where both copies sit in layers the images do not share: those layers
are read once more; shared layers never are. Modification times are not
compared. A file written again with the same metadata where one copy is
in a shared layer is counted as rewritten. --paths restricts the file
diff.

diff --ship HAVE... NEW lists the blobs of NEW's images that no HAVE
archive holds, by stored digest with their sizes and total, and says
which layers a HAVE holds in another compression (present by content:
enough for docker load, not for an OCI layout or skopeo copy).

Exit codes, as diff(1): 0 the images are identical in content (--ship:
nothing to carry), 1 they differ (--ship: blobs to carry), 2 usage
error, 3 an archive unreadable, malformed, unsupported or over a limit.

Examples:
   tardigest diff old.tar new.tar
   tardigest diff --image-a app:1.0 --image-b app:1.1 old.tar new.tar
   tardigest diff --paths /etc --paths '/usr/lib/*.so' old.tar new.tar
   tardigest diff --ship have.tar new.tar
   tardigest diff --ship -o json have1.tar have2/ new.tar | jq .missing_bytes`,
		Flags: flags([]cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
			&cli.BoolFlag{Name: "ship", Usage: "list the blobs the last ARCHIVE (NEW) needs that the others (HAVE) lack"},
			&cli.StringFlag{Name: "image-a", Usage: "compare the image of A named by `REF` (tag, ref name, image ID or manifest digest)"},
			&cli.StringFlag{Name: "image-b", Usage: "compare the image of B named by `REF`"},
			&cli.StringSliceFlag{Name: "paths", Usage: "compare only `PATH` and what is under it, or the paths matching a pattern with * ? [ (repeatable)"},
			&cli.IntFlag{Name: "max-listed", Value: compare.DefaultMaxListed, Usage: "list at most `N` changed paths of each kind (counts stay exact)"},
		}, slices.DeleteFunc(readFlags(), func(f cli.Flag) bool { return f.Names()[0] == "progress" })),
		Action: func(c *cli.Context) error { return runDiff(c, e) },
	}
}

func runDiff(c *cli.Context, e env) error {
	output := c.String("output")
	if output != "text" && output != "json" {
		return usageError{fmt.Errorf("--output must be text or json, not %q", output)}
	}
	if err := diffArgs(c); err != nil {
		return err
	}
	if err := checkReadFlags(c); err != nil {
		return err
	}
	results, err := readAll(c, e, c.Args().Slice())
	if err != nil {
		return err
	}
	warnUnverified(c, results)
	if c.Bool("ship") {
		return runShip(c, results, output)
	}
	doc, err := diffDoc(c, results[0], results[1])
	if err != nil {
		return err
	}
	if output == "json" {
		err = report.JSONValue(c.App.Writer, doc)
	} else {
		err = report.Diff(c.App.Writer, doc)
	}
	if err == nil && !doc.Equal {
		err = exitError{exitMismatch}
	}
	return err
}

// diffArgs checks the arguments and the flags that go with them.
func diffArgs(c *cli.Context) error {
	n, stdin := c.NArg(), slices.Index(c.Args().Slice(), "-")
	switch {
	case c.Bool("ship") && n < 2:
		return usageError{fmt.Errorf("diff --ship takes HAVE archives, then NEW: at least 2 arguments, got %d", n)}
	case !c.Bool("ship") && n != 2:
		return usageError{fmt.Errorf("diff takes two archives, A and B, got %d arguments", n)}
	case stdin >= 0 && slices.Index(c.Args().Slice()[stdin+1:], "-") >= 0:
		return usageError{fmt.Errorf("only one archive can be read from standard input (-)")}
	case c.Bool("ship") && (c.IsSet("paths") || c.IsSet("image-a") || c.IsSet("image-b") || c.IsSet("image") || c.IsSet("platform")):
		return usageError{fmt.Errorf("--ship counts every blob of NEW's images: --paths, --image, --image-a, --image-b and --platform do not apply")}
	case c.IsSet("image") && (c.IsSet("image-a") || c.IsSet("image-b")):
		return usageError{fmt.Errorf("--image names the image on both sides; --image-a and --image-b one side each: give one or the other")}
	case c.Int("max-listed") < 1:
		return usageError{fmt.Errorf("--max-listed must be 1 or more, not %d", c.Int("max-listed"))}
	}
	return nil
}

// readAll reads the archives at once, each in its single pass. When
// one cannot be read, the error of the first named is returned, with
// the unreadable document when JSON was asked for.
func readAll(c *cli.Context, e env, srcs []string) ([]*tarball.Result, error) {
	results := make([]*tarball.Result, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = readSource(c, e, src, false)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		if c.String("output") == "json" && exitCodeFor(err) == exitUnreadable && c.Context.Err() == nil {
			if werr := report.JSONValue(c.App.Writer, report.NewUnreadable(c.Command.Name, srcs[i], err, exitUnreadable)); werr != nil {
				return nil, werr
			}
		}
		return nil, err
	}
	return results, nil
}

// warnUnverified says on stderr which archives failed verification: the
// comparison uses what their bytes hold, not what they claim.
func warnUnverified(c *cli.Context, results []*tarball.Result) {
	for i, r := range results {
		if r.Err(-1) != nil {
			fmt.Fprintf(c.App.ErrWriter, "tardigest: warning: %s failed verification: the comparison uses the digests of its bytes, not its claims (run 'tardigest verify %s')\n",
				report.Escape(c.Args().Get(i)), report.Escape(c.Args().Get(i)))
		}
	}
}

// diffDoc pairs the images of a and b and compares each pair.
func diffDoc(c *cli.Context, a, b *tarball.Result) (*report.DiffDoc, error) {
	srcA, srcB := c.Args().Get(0), c.Args().Get(1)
	selA, err := selectSide(c, a, "image-a")
	if err != nil {
		return nil, fmt.Errorf("archive A: %w", err)
	}
	selB, err := selectSide(c, b, "image-b")
	if err != nil {
		return nil, fmt.Errorf("archive B: %w", err)
	}
	p := compare.PairImages(a, b, selA, selB)
	if len(p.Pairs) == 0 {
		return nil, usageError{fmt.Errorf("no image of %s pairs with one of %s: choose them with --image-a and --image-b", srcA, srcB)}
	}
	opts := compare.Options{Paths: c.StringSlice("paths"), MaxListed: c.Int("max-listed"), Read: readOptions(c)}
	doc := &report.DiffDoc{SchemaVersion: report.SchemaVersion, A: report.NewDiffArchive(srcA, a), B: report.NewDiffArchive(srcB, b),
		Equal: len(p.OnlyA) == 0 && len(p.OnlyB) == 0, Images: []*compare.ImageDiff{}, OnlyA: refs(a, p.OnlyA), OnlyB: refs(b, p.OnlyB)}
	for _, pair := range p.Pairs {
		d, err := compare.Images(c.Context, compare.Side{Name: srcA, Result: a, Image: pair.A}, compare.Side{Name: srcB, Result: b, Image: pair.B}, opts)
		if err != nil {
			return nil, err
		}
		d.PairedBy = pair.By
		doc.Images = append(doc.Images, d)
		doc.Equal = doc.Equal && d.Equal
	}
	return doc, nil
}

// selectSide is the image --image (or flag, for one side) and
// --platform choose in res, or -1 when none is given.
func selectSide(c *cli.Context, res *tarball.Result, flag string) (int, error) {
	ref := c.String(flag)
	if ref == "" {
		ref = c.String("image")
	}
	return pick(res, ref, c.String("platform"))
}

func refs(r *tarball.Result, images []int) []compare.ImageRef {
	out := []compare.ImageRef{}
	for _, i := range images {
		img := r.Images[i]
		out = append(out, compare.ImageRef{Index: i, Name: img.Name(), Platform: img.Platform, ImageID: img.ImageID})
	}
	return out
}

// runShip prints the blobs the last archive needs that the others lack;
// it exits 1 when some must be carried.
func runShip(c *cli.Context, results []*tarball.Result, output string) error {
	args := c.Args().Slice()
	last := len(results) - 1
	doc := &report.ShipDoc{SchemaVersion: report.SchemaVersion, New: report.NewDiffArchive(args[last], results[last]), Have: []report.DiffArchive{},
		Shipment: compare.Ship(results[last], results[:last])}
	for i, r := range results[:last] {
		doc.Have = append(doc.Have, report.NewDiffArchive(args[i], r))
	}
	var err error
	if output == "json" {
		err = report.JSONValue(c.App.Writer, doc)
	} else {
		err = report.Ship(c.App.Writer, doc)
	}
	if err == nil && len(doc.Missing) > 0 {
		err = exitError{exitMismatch}
	}
	return err
}
