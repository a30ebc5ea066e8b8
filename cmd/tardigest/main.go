// Command tardigest inspects and verifies container image archives
// offline: docker save tarballs of every era, OCI layouts (directories and
// tars), skopeo dir: directories, extracted docker saves, whole-archive
// gzip, zstd, bzip2 or xz, and stdin.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// memoryLimit is the soft limit on the Go heap when GOMEMLIMIT does not
// set one: the collector then works harder as the heap nears it, rather
// than let it grow to twice what is live (a million-file image keeps
// about 150 MiB live while ls or waste makes garbage). A read that needs
// more still gets it, at some cost in CPU.
const memoryLimit = 200 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, processEnv())
	stop()
	os.Exit(code)
}
