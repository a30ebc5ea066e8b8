package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/tarball"
)

const archiveHelp = `ARCHIVE is a tar file (docker save, OCI archive, go-containerregistry
tarball; plain, or compressed as a whole with gzip, zstd, bzip2 or xz, as
docker load accepts it), an OCI image layout directory, a skopeo dir:
directory (skopeo copy ... dir:PATH), a docker save extracted into a
directory, or - for a tar on standard input.`

// readFlags are the flags of every command that reads an archive.
func readFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image", Usage: "only the image named by `REF`: tag, ref name, image ID or manifest digest (prefixes of 4 hex digits or more)"},
		&cli.StringFlag{Name: "platform", Usage: "only the image for `OS/ARCH[/VARIANT]` (with --image, among the images it names); verify --against: the platform to follow in an index"},
		&cli.BoolFlag{Name: "progress", Usage: "show progress on stderr even when it is not a terminal"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress; for images and history: IDs only"},
		&cli.IntFlag{Name: "workers", Usage: "blobs hashed at once; 0 means one per CPU core"},
		&cli.Int64Flag{Name: "max-json-bytes", Value: tarball.DefaultMaxJSONBytes, Usage: "cap on one JSON document"},
		&cli.Int64Flag{Name: "max-metadata-bytes", Value: tarball.DefaultMaxMetadataBytes, Usage: "cap on all JSON documents kept in memory"},
		&cli.IntFlag{Name: "max-entries", Value: tarball.DefaultMaxEntries, Usage: "cap on the number of entries in the archive"},
		&cli.IntFlag{Name: "max-index-depth", Value: tarball.DefaultMaxIndexDepth, Usage: "cap on how deep image indexes nest"},
		&cli.IntFlag{Name: "max-files", Value: tarball.DefaultMaxFiles, Usage: "cap on the entries of all layers' tars together, and on the paths of one image"},
		&cli.Int64Flag{Name: "max-uncompressed-bytes", Value: layer.DefaultMaxUncompressedBytes, Usage: "cap on one layer's uncompressed size"},
		&cli.Int64Flag{Name: "max-expansion-ratio", Value: layer.DefaultMaxExpansionRatio, Usage: "cap on decompression work per stored byte, in gzip-equivalent bytes (past 64 MiB), per blob and per archive"},
		&cli.Uint64Flag{Name: "max-window-bytes", Aliases: []string{"max-zstd-window-bytes"}, Value: layer.DefaultMaxWindowBytes, Usage: "cap on the window (history) a zstd frame or an xz block may ask for"},
	}
}

// outputFlags choose how results are printed.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
		&cli.StringFlag{Name: "format", Usage: "print with a Go `TEMPLATE`, as docker's: on images and history once per row ('{{.ID}}', 'table ...', 'json'), on inspect and verify over the JSON structure"},
	}
}

func flags(groups ...[]cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// archiveArg returns the ARCHIVE argument, the first; ls takes PATHs
// after it and cat one PATH, every other command nothing.
func archiveArg(c *cli.Context) (string, error) {
	switch name, n := c.Command.Name, c.NArg(); {
	case name == "ls" && n == 0:
		return "", usageError{fmt.Errorf("ls takes an ARCHIVE, then PATHs if any")}
	case name == "ls":
	case name == "cat" && n != 2:
		return "", usageError{fmt.Errorf("cat takes an ARCHIVE and one PATH, got %d arguments", n)}
	case name != "cat" && n != 1:
		return "", usageError{fmt.Errorf("%s takes exactly one ARCHIVE, got %d arguments", name, n)}
	}
	return c.Args().First(), nil
}

// outputMode validates --output and --format together.
func outputMode(c *cli.Context) (string, error) {
	output := c.String("output")
	if output != "text" && output != "json" {
		return "", usageError{fmt.Errorf("--output must be text or json, not %q", output)}
	}
	if c.String("format") != "" && c.IsSet("output") {
		return "", usageError{fmt.Errorf("--format and --output exclude each other")}
	}
	if c.String("format") != "" {
		return "format", nil
	}
	return output, nil
}

// contentCommands are the commands that read what layers hold, in the
// pass that hashes them; the others skip it, which saves its cost.
var contentCommands = map[string]bool{"inspect": true, "verify": true, "ls": true, "cat": true, "waste": true, "layers": true}

// load reads the archive and resolves --image and --platform.
func load(c *cli.Context, e env) (res *tarball.Result, src string, image int, err error) {
	if res, src, err = read(c, e); err != nil {
		return nil, src, -1, err
	}
	if image, err = selectImage(c, res); err != nil {
		return nil, src, -1, err
	}
	return res, src, image, nil
}

// read reads the archive named by the command's argument, showing
// progress when asked to. Flags are checked before the archive is read,
// which may take minutes. When the archive cannot be read (exit 3) and
// JSON was asked for, the document that says so is written first.
func read(c *cli.Context, e env) (res *tarball.Result, src string, err error) {
	src, err = archiveArg(c)
	if err != nil {
		return nil, "", err
	}
	if err := checkReadFlags(c); err != nil {
		return nil, src, err
	}
	key, err := readKey(c)
	if err != nil {
		return nil, src, err
	}
	opts := readOptions(c)
	opts.Key = key
	if !c.Bool("quiet") && (c.Bool("progress") || e.stderrTTY) {
		opts.Progress = new(tarball.Progress)
		stop := showProgress(c.App.ErrWriter, opts.Progress, e)
		defer stop()
	}
	if src == "-" {
		res, err = tarball.Read(c.Context, interruptible(c.Context, c.App.Reader), opts)
	} else {
		res, err = tarball.Open(c.Context, src, opts)
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", src, err)
		// An interrupt is no verdict on the archive: no document.
		if c.String("output") == "json" && exitCodeFor(err) == exitUnreadable {
			if werr := report.JSONValue(c.App.Writer, report.NewUnreadable(c.Command.Name, src, err, exitCodeFor(err))); werr != nil {
				return nil, src, werr
			}
		}
		return nil, src, err
	}
	return res, src, nil
}

// selectImage is the position of the image --image and --platform
// select, or -1 when neither is given.
func selectImage(c *cli.Context, res *tarball.Result) (int, error) {
	ref, platform := c.String("image"), c.String("platform")
	if ref == "" && platform == "" {
		return -1, nil
	}
	image, err := res.Select(ref, platform)
	var se *tarball.SelectError
	if errors.As(err, &se) && len(se.Matches) > 1 {
		err = chooseOne(err, res, se.Matches)
	}
	return image, err
}

// checkReadFlags refuses values of the reading flags that cannot work.
func checkReadFlags(c *cli.Context) error {
	if n := c.Int("workers"); n < 0 {
		return usageError{fmt.Errorf("--workers must be 0 (one per CPU core) or more, not %d", n)}
	}
	if p := c.String("platform"); p != "" {
		parts := strings.Split(p, "/")
		if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
			return usageError{fmt.Errorf("--platform must be OS/ARCH or OS/ARCH/VARIANT, such as linux/arm64, not %q", p)}
		}
	}
	return nil
}

// chooseOne is err with a hint listing the images to choose from, each
// by name, platform and image ID, and the flag that chooses it.
func chooseOne(err error, res *tarball.Result, images []int) error {
	platforms := map[string]bool{}
	for _, i := range images {
		platforms[res.Images[i].Platform] = true
	}
	var b strings.Builder
	if len(platforms) == len(images) {
		b.WriteString("choose one with --platform OS/ARCH[/VARIANT] or --image REF:\n")
	} else {
		b.WriteString("choose one with --image REF (a name, or 4 or more hex digits of the image ID):\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  IMAGE\tREFERENCE\tPLATFORM\tIMAGE ID\n")
	for _, i := range images {
		img := res.Images[i]
		name, platform := img.Name(), img.Platform
		if name == "" {
			name = "<untagged>"
		}
		if platform == "" {
			platform = "-"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", i, report.Escape(name), report.Escape(platform), report.ShortID(img.ImageID))
	}
	tw.Flush()
	return hintError{err, strings.TrimSuffix(b.String(), "\n")}
}

// readOptions are the options the command's flags give tarball.
func readOptions(c *cli.Context) tarball.Options {
	opts := tarball.Options{
		Workers: c.Int("workers"),
		Limits: tarball.Limits{
			MaxJSONBytes:     c.Int64("max-json-bytes"),
			MaxMetadataBytes: c.Int64("max-metadata-bytes"),
			MaxEntries:       c.Int("max-entries"),
			MaxIndexDepth:    c.Int("max-index-depth"),
			MaxFiles:         c.Int("max-files"),
			Layer: layer.Limits{
				MaxUncompressedBytes: c.Int64("max-uncompressed-bytes"),
				MaxExpansionRatio:    c.Int64("max-expansion-ratio"),
				MaxWindowBytes:       c.Uint64("max-window-bytes"),
			},
		},
	}
	opts.Content.Skip = !contentCommands[c.Command.Name]
	// dive's numbers are in waste and in every fact JSON carries.
	opts.Content.Dive = c.Command.Name == "waste" || c.String("output") == "json" || c.String("format") != ""
	return opts
}
