package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/tarball"
)

const archiveHelp = `ARCHIVE is a tar file (docker save, OCI archive, go-containerregistry
tarball; plain, gzip- or zstd-compressed as a whole), an OCI image layout
directory, or - for a tar on standard input.`

// readFlags are the flags of every command that reads an archive.
func readFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image", Usage: "only the image named by `REF`: tag, ref name, image ID or manifest digest (prefixes allowed)"},
		&cli.BoolFlag{Name: "progress", Usage: "show progress on stderr even when it is not a terminal"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress; for images and history: IDs only"},
		&cli.IntFlag{Name: "workers", Usage: "blobs hashed at once", DefaultText: "number of CPUs"},
		&cli.Int64Flag{Name: "max-json-bytes", Value: tarball.DefaultMaxJSONBytes, Usage: "cap on one JSON document"},
		&cli.Int64Flag{Name: "max-metadata-bytes", Value: tarball.DefaultMaxMetadataBytes, Usage: "cap on all JSON documents kept in memory"},
		&cli.IntFlag{Name: "max-entries", Value: tarball.DefaultMaxEntries, Usage: "cap on the number of entries in the archive"},
		&cli.IntFlag{Name: "max-index-depth", Value: tarball.DefaultMaxIndexDepth, Usage: "cap on how deep image indexes nest"},
		&cli.IntFlag{Name: "max-files", Value: tarball.DefaultMaxFiles, Usage: "cap on the entries of all layers' tars together, and on the paths of one image"},
		&cli.Int64Flag{Name: "max-uncompressed-bytes", Value: layer.DefaultMaxUncompressedBytes, Usage: "cap on one layer's uncompressed size"},
		&cli.Int64Flag{Name: "max-expansion-ratio", Value: layer.DefaultMaxExpansionRatio, Usage: "cap on uncompressed bytes per stored byte (past 64 MiB)"},
		&cli.Uint64Flag{Name: "max-zstd-window-bytes", Value: layer.DefaultMaxZstdWindowBytes, Usage: "cap on the window a zstd frame may ask for"},
	}
}

// outputFlags choose how results are printed.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
		&cli.StringFlag{Name: "format", Usage: "print with a Go `TEMPLATE` over the JSON structure, e.g. '{{.ImageID}}'; adds a json function"},
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

// load reads the archive named by the command's argument, showing
// progress when asked to, and resolves --image.
func load(c *cli.Context, e env) (res *tarball.Result, src string, image int, err error) {
	src, err = archiveArg(c)
	if err != nil {
		return nil, "", -1, err
	}
	opts := readOptions(c)
	if !c.Bool("quiet") && (c.Bool("progress") || e.stderrTTY) {
		opts.Progress = new(tarball.Progress)
		stop := showProgress(c.App.ErrWriter, opts.Progress, e)
		defer stop()
	}
	if src == "-" {
		res, err = tarball.Read(c.Context, c.App.Reader, opts)
	} else {
		res, err = tarball.Open(c.Context, src, opts)
	}
	if err != nil {
		return nil, src, -1, fmt.Errorf("%s: %w", src, err)
	}
	image = -1
	if ref := c.String("image"); ref != "" {
		if image, err = res.Select(ref); err != nil {
			return nil, src, -1, err
		}
	}
	return res, src, image, nil
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
				MaxZstdWindowBytes:   c.Uint64("max-zstd-window-bytes"),
			},
		},
	}
	opts.Content.Skip = !contentCommands[c.Command.Name]
	// dive's numbers are in waste and in every fact JSON carries.
	opts.Content.Dive = c.Command.Name == "waste" || c.String("output") == "json" || c.String("format") != ""
	return opts
}
