package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/urfave/cli/v2"

	"github.com/tardigest/tardigest/report"
	"github.com/tardigest/tardigest/signature"
	"github.com/tardigest/tardigest/tarball"
)

func inspectCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "report every identity of the images in an archive, recomputed",
		ArgsUsage: "ARCHIVE",
		Description: archiveHelp + `

Exits 0 whenever the archive could be read, whatever it found; use verify
to fail on false claims.

Examples:
   tardigest inspect image.tar
   docker save busybox | tardigest inspect -
   tardigest inspect --output json oci-dir/ | jq '.images[].image_id'
   tardigest inspect --format '{{range .Images}}{{.ImageID}}{{"\n"}}{{end}}' image.tar`,
		Flags:  flags(outputFlags(), reportFlags(), readFlags()),
		Action: func(c *cli.Context) error { return runReport(c, e) },
	}
}

// reportFlags shape the report of inspect and verify.
func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "verbose", Usage: "explain each identity in the text report"},
	}
}

func verifyCommand(e env) *cli.Command {
	return &cli.Command{
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
   tardigest verify --against m.json --expect sha256:... docker-save.tar
   cosign save --dir app/ registry.example/app@sha256:...   # connected side
   tardigest verify --key cosign.pub app/`,
		Flags: flags(outputFlags(), reportFlags(), readFlags(), []cli.Flag{
			&cli.StringFlag{Name: "key", Usage: "verify cosign signatures and attestations with the public key in `FILE` (ECDSA P-256 or Ed25519 PEM, such as cosign.pub); fail unless a signature by it covers every image"},
			&cli.StringSliceFlag{Name: "expect", Usage: "prove the archive holds the image the registry calls `DIGEST` (or NAME@DIGEST, as docker pull prints it); repeatable"},
			&cli.StringSliceFlag{Name: "against", Usage: "a manifest or index `FILE` captured on the connected side (crane manifest, skopeo inspect --raw); repeatable"},
		}),
		Action: func(c *cli.Context) error { return runReport(c, e) },
	}
}

// runReport is inspect and verify: the full report, and for verify the
// verdict as exit code.
func runReport(c *cli.Context, e env) error {
	command := c.Command.Name
	output, err := outputMode(c)
	if err != nil {
		return err
	}
	// Flags are checked before the archive is read, which may take minutes.
	expect, against, err := proofInputs(c)
	if err != nil {
		return err
	}
	res, src, image, err := load(c, e)
	if err != nil {
		return err
	}
	doc := report.Build(res, report.Options{Command: command, Image: image, Source: src, Verbose: c.Bool("verbose")})
	if len(expect) > 0 || len(against) > 0 {
		var proof *tarball.Proof
		if len(against) > 0 {
			if proof, err = res.Prove(against, expect, c.String("platform"), image); err != nil {
				return fmt.Errorf("--against %w", err)
			}
		}
		doc.AddProof(res.ExpectAll(expect, proof, image), proof)
	}
	code := exitOK
	if command == "verify" {
		code = verdictCode(res, image, doc.Verdict.Status)
	}
	doc.Verdict.ExitCode = code
	switch output {
	case "json":
		err = report.JSON(c.App.Writer, doc)
	case "format":
		err = report.Template(c.App.Writer, c.String("format"), doc)
	default:
		err = report.Text(c.App.Writer, doc)
	}
	if err != nil {
		return err
	}
	if code != exitOK {
		return exitError{code: code}
	}
	return nil
}

// verdictCode is the exit code of verify: that of the first error
// found (3 when any error makes the archive unreadable, malformed or
// over a limit), else 1 when a proof failed or nothing could be
// verified.
func verdictCode(res *tarball.Result, image int, status string) int {
	if ferr := res.ErrWithAttachments(image); ferr != nil {
		return exitCodeFor(ferr)
	}
	if status != "verified" {
		return exitMismatch
	}
	return exitOK
}

// proofInputs parses verify's --expect digests and reads its --against
// files; none for inspect.
func proofInputs(c *cli.Context) ([]digest.Digest, []tarball.Against, error) {
	if c.Command.Name != "verify" {
		return nil, nil, nil
	}
	var expect []digest.Digest
	for _, s := range c.StringSlice("expect") {
		d, err := parseExpect(s)
		if err != nil {
			return nil, nil, usageError{err}
		}
		expect = append(expect, d)
	}
	var files []tarball.Against
	for _, name := range c.StringSlice("against") {
		data, err := readCapped(name, tarball.DefaultMaxJSONBytes)
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("--against: %w", err)}
		}
		files = append(files, tarball.Against{Name: name, Data: data})
	}
	return expect, files, nil
}

// readKey reads verify's --key, before the archive is read; nil when it
// is not given.
func readKey(c *cli.Context) (*signature.PublicKey, error) {
	name := c.String("key")
	if name == "" {
		return nil, nil
	}
	data, err := readCapped(name, signature.MaxKeyBytes)
	if err != nil {
		return nil, usageError{fmt.Errorf("--key: %w", err)}
	}
	key, err := signature.ParsePublicKey(name, data)
	if err != nil {
		return nil, usageError{fmt.Errorf("--key: %w", err)}
	}
	return key, nil
}

// parseExpect accepts a digest or NAME@DIGEST, as docker pull and docker
// images --digests print them.
func parseExpect(s string) (digest.Digest, error) {
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	d, err := tarball.ParseDigest(s)
	if err != nil {
		return "", fmt.Errorf("--expect: %v", err)
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
