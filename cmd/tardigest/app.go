package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

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

func newApp(stdin io.Reader, stdout, stderr io.Writer, env env) *cli.App {
	app := &cli.App{
		Name:      "tardigest",
		Usage:     "inspect and verify container image archives, offline",
		Version:   version(),
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		// urfave/cli must never exit on its own: run maps every error to
		// an exit code.
		ExitErrHandler:       func(*cli.Context, error) {},
		OnUsageError:         onUsageError,
		EnableBashCompletion: true,
		Description: archiveHelp + `

Exit codes: 0 read fine (verify: every claim matched), 1 verify found a
mismatch (or config/manifest: nothing stored), 2 usage error, 3 archive
unreadable, malformed, unsupported or over a limit, 130 interrupted.`,
		Commands: []*cli.Command{
			inspectCommand(env),
			verifyCommand(env),
			imagesCommand(env),
			historyCommand(env),
			configCommand(env),
			manifestCommand(env),
			lsCommand(env),
			catCommand(env),
			layersCommand(env),
			wasteCommand(env),
			completionCommand(),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	// urfave/cli v2 keeps the version printer in a package variable, not
	// on the App; the app that runs sets it.
	cli.VersionPrinter = printVersion
	return app
}

// hintError is an error with a hint for the user, printed on its own
// line after it.
type hintError struct {
	error
	hint string
}

func (e hintError) Unwrap() error { return e.error }

func onUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }

// exitError carries the exit code of a run that already reported itself.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCodeFor maps an error to the documented exit code.
func exitCodeFor(err error) int {
	var ee exitError
	var ue usageError
	var fe fileError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &fe):
		return exitMismatch
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue), errors.As(err, new(*report.TemplateError)):
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
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env env) int {
	app := newApp(stdin, stdout, stderr, env)
	args, err := flagsFirst(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if ctx.Err() != nil {
		// Interrupted, whatever the run ended with: a stream that ended
		// after the interrupt does not make it forgotten.
		fmt.Fprintln(stderr, "tardigest: interrupted")
		return exitInterrupted
	}
	if err == nil {
		return exitOK
	}
	code := exitCodeFor(err)
	var ee exitError
	if !errors.As(err, &ee) {
		for _, line := range errorLines(err) {
			fmt.Fprintf(stderr, "tardigest: error: %s\n", line)
		}
		var he hintError
		switch {
		case errors.As(err, &he):
			fmt.Fprintf(stderr, "tardigest: hint: %s\n", escapeLines(he.hint))
		case errors.Is(err, tarball.ErrNoImage):
			fmt.Fprintf(stderr, "tardigest: hint: run 'tardigest inspect ARCHIVE' to list the images and their names\n")
		case code == exitUsage:
			fmt.Fprintf(stderr, "tardigest: hint: run 'tardigest --help' for usage\n")
		}
	}
	return code
}

// errorLines is err as lines for stderr: one per error it joins, each
// escaped (report.Escape), since error messages quote names and tags from
// the archive, and a newline or a terminal escape in one must not forge
// or hide a line.
func errorLines(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range j.Unwrap() {
			lines = append(lines, errorLines(e)...)
		}
		return lines
	}
	return []string{report.Escape(strings.TrimSpace(err.Error()))}
}

// escapeLines escapes each line of a hint of ours, whose lines (a table
// of images) are its own and whose archive strings were escaped when it
// was made.
func escapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = report.Escape(l)
	}
	return strings.Join(lines, "\n")
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// printVersion is --version: the module version and the gzip decoder the
// binary was built with (the isal build tag changes it). Help shows the
// version alone, the same in every build.
func printVersion(c *cli.Context) {
	fmt.Fprintf(c.App.Writer, "%s version %s\ngzip: %s\n", c.App.Name, c.App.Version, layer.GzipDecoder)
}
