package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/tarball"
)

// Exit codes, in the spirit of cmp(1) and diff(1).
const (
	exitOK          = 0   // read fine; for verify, everything matched
	exitMismatch    = 1   // verify found at least one false claim
	exitUsage       = 2   // bad flags or arguments
	exitUnreadable  = 3   // unreadable, malformed, unsupported or over a limit
	exitInterrupted = 130 // interrupted
)

// usageError marks errors that are the user's invocation, not the archive.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

const archiveHelp = `ARCHIVE is a tar file (docker save, OCI archive, go-containerregistry
tarball; plain, gzip- or zstd-compressed as a whole), an OCI image layout
directory, or - for a tar on standard input.`

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	common := []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "report format: text or json"},
		&cli.StringFlag{Name: "image", Usage: "only the image named by `REF`: tag, ref name, image ID or manifest digest (prefixes allowed)"},
		&cli.IntFlag{Name: "workers", Usage: "blobs hashed at once", DefaultText: "number of CPUs"},
		&cli.Int64Flag{Name: "max-json-bytes", Value: tarball.DefaultMaxJSONBytes, Usage: "cap on one JSON document"},
		&cli.Int64Flag{Name: "max-metadata-bytes", Value: tarball.DefaultMaxMetadataBytes, Usage: "cap on all JSON documents kept in memory"},
		&cli.IntFlag{Name: "max-entries", Value: tarball.DefaultMaxEntries, Usage: "cap on the number of entries in the archive"},
		&cli.Int64Flag{Name: "max-uncompressed-bytes", Value: layer.DefaultMaxUncompressedBytes, Usage: "cap on one layer's uncompressed size"},
		&cli.Int64Flag{Name: "max-expansion-ratio", Value: layer.DefaultMaxExpansionRatio, Usage: "cap on uncompressed bytes per stored byte (past 64 MiB)"},
		&cli.Uint64Flag{Name: "max-zstd-window-bytes", Value: layer.DefaultMaxZstdWindowBytes, Usage: "cap on the window a zstd frame may ask for"},
	}
	app := &cli.App{
		Name:      "tardigest",
		Usage:     "inspect and verify container image archives, offline",
		Version:   version(),
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		// urfave/cli must never exit on its own: run maps every error to
		// an exit code.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Description: archiveHelp + `

Exit codes: 0 read fine (verify: every claim matched), 1 verify found a
mismatch, 2 usage error, 3 archive unreadable, malformed, unsupported or
over a limit, 130 interrupted.`,
		Commands: []*cli.Command{
			{
				Name:      "inspect",
				Usage:     "report every identity of the images in an archive, recomputed",
				ArgsUsage: "ARCHIVE",
				Description: archiveHelp + `

Examples:
   tardigest inspect image.tar
   docker save busybox | tardigest inspect -
   tardigest inspect --output json oci-dir/ | jq '.images[].image_id'`,
				Flags:        common,
				Action:       func(c *cli.Context) error { return runReport(c, "inspect") },
				OnUsageError: func(_ *cli.Context, err error, _ bool) error { return usageError{err} },
			},
			{
				Name:      "verify",
				Usage:     "check every claim the archive makes; exit 1 if any is false",
				ArgsUsage: "ARCHIVE",
				Description: archiveHelp + `

Examples:
   tardigest verify image.tar
   tardigest verify --image busybox:latest multi.tar
   zstd -dc image.tar.zst | tardigest verify -
   tardigest verify --expect busybox@sha256:... containerd-save.tar
   crane manifest busybox@sha256:... > m.json     # on the connected side
   tardigest verify --against m.json --expect sha256:... docker-save.tar`,
				Flags: append(append([]cli.Flag{}, common...),
					&cli.StringSliceFlag{Name: "expect", Usage: "prove the archive holds the image the registry calls `DIGEST` (or NAME@DIGEST, as docker pull prints it); repeatable"},
					&cli.StringSliceFlag{Name: "against", Usage: "a manifest or index `FILE` captured on the connected side (crane manifest, skopeo inspect --raw); repeatable"},
					&cli.StringFlag{Name: "platform", Usage: "`OS/ARCH[/VARIANT]` to pick from an --against index (default: the image's own)"},
				),
				Action:       func(c *cli.Context) error { return runReport(c, "verify") },
				OnUsageError: func(_ *cli.Context, err error, _ bool) error { return usageError{err} },
			},
		},
	}
	return app
}

// exitError carries the exit code of a run that already reported itself.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func runReport(c *cli.Context, command string) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("%s takes exactly one ARCHIVE, got %d arguments", command, c.NArg())}
	}
	output := c.String("output")
	if output != "text" && output != "json" {
		return usageError{fmt.Errorf("--output must be text or json, not %q", output)}
	}
	opts := tarball.Options{
		Workers: c.Int("workers"),
		Limits: tarball.Limits{
			MaxJSONBytes:     c.Int64("max-json-bytes"),
			MaxMetadataBytes: c.Int64("max-metadata-bytes"),
			MaxEntries:       c.Int("max-entries"),
			Layer: layer.Limits{
				MaxUncompressedBytes: c.Int64("max-uncompressed-bytes"),
				MaxExpansionRatio:    c.Int64("max-expansion-ratio"),
				MaxZstdWindowBytes:   c.Uint64("max-zstd-window-bytes"),
			},
		},
	}
	src := c.Args().First()
	var (
		res *tarball.Result
		err error
	)
	if src == "-" {
		res, err = tarball.Read(c.Context, c.App.Reader, opts)
	} else {
		res, err = tarball.Open(c.Context, src, opts)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	image := -1
	if ref := c.String("image"); ref != "" {
		if image, err = res.Select(ref); err != nil {
			return err
		}
	}
	doc := report.Build(res, report.Options{Command: command, Image: image, Source: src})
	proven, err := addProof(c, res, doc, image)
	if err != nil {
		return err
	}
	if output == "json" {
		err = report.JSON(c.App.Writer, doc)
	} else {
		err = report.Text(c.App.Writer, doc)
	}
	if err != nil {
		return err
	}
	if command == "verify" {
		if ferr := res.Err(image); ferr != nil {
			return exitError{code: exitCodeFor(ferr)}
		}
		if !proven {
			return exitError{code: exitMismatch}
		}
	}
	return nil
}

// addProof answers --expect and --against into doc. It reports whether
// every expectation and the chain held (true when none was asked).
func addProof(c *cli.Context, res *tarball.Result, doc *report.Document, image int) (bool, error) {
	if c.Command.Name != "verify" {
		return true, nil
	}
	var expect []digest.Digest
	for _, s := range c.StringSlice("expect") {
		d, err := parseExpect(s)
		if err != nil {
			return false, usageError{err}
		}
		expect = append(expect, d)
	}
	var files []tarball.Against
	for _, name := range c.StringSlice("against") {
		data, err := readCapped(name, tarball.DefaultMaxJSONBytes)
		if err != nil {
			return false, usageError{fmt.Errorf("--against: %w", err)}
		}
		files = append(files, tarball.Against{Name: name, Data: data})
	}
	if len(expect) == 0 && len(files) == 0 {
		return true, nil
	}
	var exps []tarball.Expectation
	for _, d := range expect {
		exps = append(exps, res.Expect(d))
	}
	var proof *tarball.Proof
	if len(files) > 0 {
		p, err := res.Prove(files, expect, c.String("platform"), image)
		if err != nil {
			return false, fmt.Errorf("--against %w", err)
		}
		proof = p
	}
	doc.AddProof(exps, proof)
	if proof != nil {
		return proof.Proven, nil
	}
	for _, e := range exps {
		if !e.Verified {
			return false, nil
		}
	}
	return true, nil
}

// parseExpect accepts a digest or NAME@DIGEST, as docker pull and docker
// images --digests print them.
func parseExpect(s string) (digest.Digest, error) {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	d, err := digest.Parse(s)
	if err != nil {
		return "", fmt.Errorf("--expect %q: not a digest: %v", s, err)
	}
	return d, nil
}

// readCapped reads a small user-supplied file, refusing one over max
// bytes rather than truncating it.
func readCapped(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a manifest", name, max)
	}
	return data, nil
}

// exitCodeFor maps an error to the documented exit code.
func exitCodeFor(err error) int {
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, tarball.ErrMalformed), errors.Is(err, tarball.ErrLimit), errors.Is(err, tarball.ErrUnsupported):
		return exitUnreadable
	case errors.Is(err, tarball.ErrMismatch), errors.Is(err, tarball.ErrMissing):
		return exitMismatch
	case errors.Is(err, tarball.ErrNoImage):
		return exitUsage
	}
	return exitUnreadable // I/O errors: the archive could not be read
}

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitCodeFor(err)
	var ee exitError
	if !errors.As(err, &ee) {
		fmt.Fprintf(stderr, "tardigest: error: %s\n", strings.TrimSpace(err.Error()))
		switch {
		case errors.Is(err, tarball.ErrNoImage):
			fmt.Fprintf(stderr, "tardigest: hint: run 'tardigest inspect ARCHIVE' to list the images and their names\n")
		case code == exitUsage:
			fmt.Fprintf(stderr, "tardigest: hint: run 'tardigest --help' for usage\n")
		}
	}
	return code
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
