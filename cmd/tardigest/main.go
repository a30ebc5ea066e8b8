// Command tardigest inspects and verifies container image archives
// offline: docker save tarballs of every era, OCI layouts (directories and
// tars), skopeo dir: directories, extracted docker saves, whole-archive
// gzip, zstd, bzip2 or xz, and stdin.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, processEnv())
	stop()
	os.Exit(code)
}
