package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/tarball"
)

func tableFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		&cli.BoolFlag{Name: "no-trunc", Usage: "don't truncate digests and commands"},
	}, extra...)
}

func imagesCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "images",
		Usage:     "list the images in an archive, as docker images does",
		ArgsUsage: "ARCHIVE",
		Description: `One row per tag: REPOSITORY, TAG, IMAGE ID (the config digest), CREATED and
SIZE (the layers uncompressed), PLATFORM when the images are of several, and
ATTACHED when signatures, attestations, SBOMs or referrers are attached to
them (counted there, not listed as images of their own).
--digests adds the manifest digest where the archive stores one that can be
the registry's, and <none> where it cannot (--output json says why).
--image and --platform keep the rows of the images they name.

--format runs a Go template once per row, with docker's fields: {{.ID}},
{{.Repository}}, {{.Tag}}, {{.Digest}}, {{.CreatedSince}}, {{.CreatedAt}},
{{.Size}}, {{.Platform}} and {{.Attached}}. "table TEMPLATE" adds a header, "json" prints
one JSON object per row.

Examples:
   tardigest images image.tar
   tardigest images --digests --no-trunc oci-dir/
   tardigest images --format '{{.Repository}}:{{.Tag}} {{.ID}}' image.tar
   tardigest images --format 'table {{.Repository}}\t{{.Tag}}\t{{.Platform}}' multi.tar
   tardigest images --format json image.tar
   tardigest images --digests --platform linux/arm64 skopeo-dir/`,
		Flags: flags(outputFlags(), tableFlags(&cli.BoolFlag{Name: "digests", Usage: "show manifest digests"}), readFlags()),
		Action: func(c *cli.Context) error {
			output, err := outputMode(c)
			if err != nil {
				return err
			}
			res, _, err := read(c, e)
			if err != nil {
				return err
			}
			rows, err := imageRows(c, res)
			if err != nil {
				return err
			}
			opts := tableOptions(c, e)
			return writeRows(c, output, rows,
				func() error { return report.Images(c.App.Writer, rows, opts) },
				func() error { return report.ImagesTemplate(c.App.Writer, c.String("format"), rows, opts) })
		},
	}
}

// imageRows are the rows of the images table: of the image --image
// names, of the images of --platform, or of every image.
func imageRows(c *cli.Context, res *tarball.Result) ([]report.ImageRow, error) {
	rows := report.ImageRows(res)
	ref, platform := c.String("image"), c.String("platform")
	if ref != "" {
		image, err := selectImage(c, res)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(rows, func(r report.ImageRow) bool { return r.Image != image }), nil
	}
	// An attachment (a signature, an SBOM) is no image of its own: it is
	// counted in the ATTACHED column of the image it is about.
	rows = slices.DeleteFunc(rows, func(r report.ImageRow) bool { return r.AttachedTo != nil })
	if platform != "" {
		rows = slices.DeleteFunc(rows, func(r report.ImageRow) bool { return !tarball.PlatformMatches(platform, r.Platform) })
	}
	return rows, nil
}

func historyCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "show an image's history, as docker history does, with each layer's diffID",
		ArgsUsage: "ARCHIVE",
		Description: `Newest first. Entries that made a layer show its uncompressed SIZE and
DIFF ID; empty_layer entries show 0B. An archive with several images needs
--image or --platform.

--format runs a Go template once per row, with docker's fields: {{.ID}},
{{.CreatedSince}}, {{.CreatedAt}}, {{.CreatedBy}}, {{.Size}}, {{.Comment}},
and the layer's {{.DiffID}}. "table TEMPLATE" adds a header, "json" prints
one JSON object per row.

Examples:
   tardigest history image.tar
   tardigest history --image busybox:latest --no-trunc multi.tar
   tardigest history --no-trunc --format '{{.DiffID}}' image.tar
   tardigest history --platform linux/arm64 skopeo-dir/`,
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
			if image, err = onlyImage(res, image); err != nil {
				return err
			}
			rows := report.HistoryRows(res.Images[image])
			opts := tableOptions(c, e)
			return writeRows(c, output, rows,
				func() error { return report.History(c.App.Writer, rows, opts) },
				func() error { return report.HistoryTemplate(c.App.Writer, c.String("format"), rows, opts) })
		},
	}
}

func configCommand(e env) *cli.Command {
	return storedCommand(e, "config", "print an image's config, byte for byte, as crane config does",
		`The exact stored bytes, never re-serialised: their sha256 is the image ID.

Examples:
   tardigest config image.tar | jq .config.Env
   tardigest config --image busybox:latest multi.tar | sha256sum`,
		(*tarball.Result).ConfigBytes)
}

func manifestCommand(e env) *cli.Command {
	return storedCommand(e, "manifest", "print an image's stored manifest, byte for byte, as skopeo inspect --raw does",
		`The exact stored bytes: their sha256 is the manifest digest. A docker save
archive stores no manifest (or only one Docker wrote itself, which is printed
and labelled by inspect): where none is stored, tardigest says so on stderr
and exits 1. It never makes one up.

Examples:
   tardigest manifest oci-dir/ | jq .layers
   tardigest manifest --image v1 oci-archive.tar | sha256sum`,
		manifestBytes)
}

// manifestBytes is the stored manifest of image i, or an error that says
// how to get the registry's when none is stored.
func manifestBytes(res *tarball.Result, i int) ([]byte, error) {
	data, err := res.ManifestBytes(i)
	if errors.Is(err, tarball.ErrMissing) {
		return nil, hintError{err, "capture the manifest where the registry is and use verify --against"}
	}
	return data, err
}

// storedCommand prints one stored document of the chosen image.
func storedCommand(e env, name, usage, desc string, get func(*tarball.Result, int) ([]byte, error)) *cli.Command {
	return &cli.Command{
		Name:        name,
		Usage:       usage,
		ArgsUsage:   "ARCHIVE",
		Description: desc,
		Flags:       readFlags(),
		Action: func(c *cli.Context) error {
			res, _, image, err := load(c, e)
			if err != nil {
				return err
			}
			if image, err = onlyImage(res, image); err != nil {
				return err
			}
			data, err := get(res, image)
			if err != nil {
				return err
			}
			_, err = c.App.Writer.Write(data)
			return err
		},
	}
}

// onlyImage returns the selected image, or the archive's only one;
// attachments (signatures, SBOMs) are not images of their own.
func onlyImage(res *tarball.Result, image int) (int, error) {
	if image >= 0 {
		return image, nil
	}
	attached := res.AttachmentImages()
	var all []int
	for i := range res.Images {
		if !attached[i] {
			all = append(all, i)
		}
	}
	switch len(all) {
	case 0:
		return -1, res.Err(-1)
	case 1:
		return all[0], nil
	}
	return -1, chooseOne(usageError{fmt.Errorf("the archive holds %d images", len(all))}, res, all)
}

func tableOptions(c *cli.Context, e env) report.TableOptions {
	return report.TableOptions{Digests: c.Bool("digests"), NoTrunc: c.Bool("no-trunc"), Quiet: c.Bool("quiet"), Now: e.now()}
}

// writeRows prints rows as JSON, through --format, or as a table.
func writeRows(c *cli.Context, output string, rows any, table, format func() error) error {
	switch output {
	case "json":
		return report.JSONValue(c.App.Writer, rows)
	case "format":
		return format()
	}
	return table()
}
