// Command tarfiles writes a layer tar of many small files to stdout, for
// bench/run.sh: FILES regular files of SIZE bytes (deterministic bytes),
// PER files to a directory, under PREFIX, with their directories, in the
// order a tar of a directory tree has them. GNU tar would need the files
// on disk first; a million of them take minutes to create.
//
//	go run ./bench/tarfiles -files 1000000 -size 1 -prefix usr/share/tiny | gzip -1 > layer.tar.gz
package main

import (
	"archive/tar"
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	files := flag.Int("files", 100_000, "regular files")
	size := flag.Int("size", 1, "bytes per file")
	per := flag.Int("per", 100, "files per directory")
	prefix := flag.String("prefix", "data", "directory that holds them all")
	flag.Parse()
	if err := write(*files, *size, *per, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "tarfiles:", err)
		os.Exit(1)
	}
}

func write(files, size, per int, prefix string) error {
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	tw := tar.NewWriter(out)
	mtime := time.Unix(1704067200, 0)
	body := make([]byte, size)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX})
	}
	if err := dir(prefix); err != nil {
		return err
	}
	for i := range files {
		d := fmt.Sprintf("%s/d%06d", prefix, i/per)
		if i%per == 0 {
			if err := dir(d); err != nil {
				return err
			}
		}
		body[0] = byte('a' + i%26)
		h := &tar.Header{Name: fmt.Sprintf("%s/f%07d.txt", d, i), Mode: 0o644, Size: int64(size), ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return out.Flush()
}
