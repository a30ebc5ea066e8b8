// Command tardigest inspects and verifies container image archives
// offline: docker save tarballs of every era, OCI layouts (directories and
// tars), whole-archive gzip or zstd, and stdin.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// interruptGrace is how long an interrupted run may take to stop on its
// own before the process ends anyway: a read no context reaches (a
// stalled file system) must not keep it alive.
const interruptGrace = 750 * time.Millisecond

// main is signal.NotifyContext with a deadline: Ctrl-C or SIGTERM
// cancels the run's context, and ends the process after interruptGrace
// (or a second signal) if the run has not ended by then; run itself says
// "interrupted" and returns 130 when it ends first.
func main() {
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
