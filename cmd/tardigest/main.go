// Command tardigest inspects and verifies container image archives
// offline: docker save tarballs of every era, OCI layouts (directories and
// tars), skopeo dir: directories, extracted docker saves, whole-archive
// gzip, zstd, bzip2 or xz, and stdin.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"
)

// softMemoryLimit is the heap size the garbage collector keeps below
// while it can: well under the 512 MiB an archive may cost in all, and
// under the 256 MiB a million-file image may cost (it keeps about 150
// MiB live while ls or waste makes garbage). A read that needs more
// still gets it, at some cost in CPU.
const softMemoryLimit = 200 << 20

// interruptGrace is how long an interrupted run may take to stop on its
// own before the process ends anyway: a read no context reaches (a
// stalled file system) must not keep it alive.
const interruptGrace = 750 * time.Millisecond

// main is signal.NotifyContext with a deadline: Ctrl-C or SIGTERM
// cancels the run's context, and ends the process after interruptGrace
// (or a second signal) if the run has not ended by then; run itself says
// "interrupted" and returns 130 when it ends first.
func main() {
	// A soft memory limit: the garbage collector works harder as the
	// heap nears it, so memory stays near what is live (metadata of a
	// hostile archive) rather than twice it. GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	var ended atomic.Bool
	go func() {
		<-signals
		cancel()
		select {
		case <-signals: // a second Ctrl-C: now
		case <-time.After(interruptGrace):
		}
		if !ended.Load() {
			fmt.Fprintln(os.Stderr, "tardigest: interrupted")
		}
		os.Exit(exitInterrupted)
	}()
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, processEnv())
	ended.Store(true)
	os.Exit(code)
}
