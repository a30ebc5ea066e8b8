package archivetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// epoch is the modification time of every entry, for reproducible bytes.
var epoch = time.Unix(0, 0)

// buildLayer makes the bytes of a (layer C) section and its diffID. For
// gzip and zstd the tar is compressed as it is written, never held
// whole: a case may describe a layer of a million entries in a few
// lines.
func buildLayer(how, body string) ([]byte, string, error) {
	if how != "gzip" && how != "zstd" {
		var t bytes.Buffer
		if err := layerTar(body, &t); err != nil {
			return nil, "", err
		}
		data, err := compress(how, t.Bytes())
		return data, sha256Digest(t.Bytes()), err
	}
	var out bytes.Buffer
	var zw io.WriteCloser = gzip.NewWriter(&out)
	if how == "zstd" {
		z, err := zstd.NewWriter(&out, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, "", err
		}
		zw = z
	}
	h := sha256.New()
	if err := layerTar(body, io.MultiWriter(h, zw)); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return out.Bytes(), "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// layerTar writes a layer tar from "path: content" lines to w.
func layerTar(body string, w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			if err := tw.Flush(); err != nil {
				return err
			}
			if err := directive(w, line); err != nil {
				return err
			}
			continue
		}
		hdr := &tar.Header{ModTime: epoch, Mode: 0o644, Format: tar.FormatPAX}
		var content string
		switch {
		case strings.Contains(line, " -> "):
			name, target, _ := strings.Cut(line, " -> ")
			hdr.Typeflag, hdr.Name, hdr.Linkname, hdr.Mode = tar.TypeSymlink, name, target, 0o777
		case strings.Contains(line, " => "):
			name, target, _ := strings.Cut(line, " => ")
			hdr.Typeflag, hdr.Name, hdr.Linkname = tar.TypeLink, name, target
		case strings.HasSuffix(line, "/") && !strings.Contains(line, ": "):
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, line, 0o755
		default:
			name, c, ok := strings.Cut(line, ":")
			if !ok {
				return fmt.Errorf("line %q: want path: content, path/, path -> target or path => target", clip(line))
			}
			content = strings.TrimPrefix(c, " ")
			hdr.Typeflag, hdr.Name, hdr.Size = tar.TypeReg, name, int64(len(content))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			return err
		}
	}
	return tw.Close()
}

// directive writes what a "!" line of a layer asks for, bytes archive/tar
// will not write: "!pax-size N", the header of a PAX extended header that
// claims N bytes of records (what follows it is the next lines' bytes);
// "!pax TEXT", a PAX extended header holding TEXT as it is ("\n" in it
// is a newline), records well formed or not, for the next entry.
func directive(w io.Writer, line string) error {
	name, arg, _ := strings.Cut(line, " ")
	switch name {
	case "!pax-size":
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("line %q: %q is not a size", clip(line), arg)
		}
		return paxHeader(w, n)
	case "!pax":
		body := strings.ReplaceAll(arg, `\n`, "\n")
		if err := paxHeader(w, int64(len(body))); err != nil {
			return err
		}
		padded := make([]byte, (len(body)+511)/512*512)
		copy(padded, body)
		_, err := w.Write(padded)
		return err
	}
	return fmt.Errorf("line %q: the directives are !pax-size N and !pax TEXT", clip(line))
}

// paxHeader writes the header block of a PAX extended header of n bytes.
func paxHeader(w io.Writer, n int64) error {
	var blk [512]byte
	copy(blk[0:], "PaxHeaders/x")
	copy(blk[100:], "0000644\x00")
	copy(blk[124:], fmt.Sprintf("%011o\x00", n))
	copy(blk[136:], "00000000000\x00")
	blk[156] = 'x'
	copy(blk[257:], "ustar\x0000")
	copy(blk[148:], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:], fmt.Sprintf("%06o\x00 ", sum))
	_, err := w.Write(blk[:])
	return err
}

// compress compresses b as a layer would be.
func compress(how string, b []byte) ([]byte, error) {
	switch how {
	case "none":
		return b, nil
	case "gzip":
		return gzipOf(b)
	case "gzip-multi":
		half := len(b) / 2
		x, err := gzipOf(b[:half])
		if err != nil {
			return nil, err
		}
		y, err := gzipOf(b[half:])
		return append(x, y...), err
	case "zstd":
		return zstdOf(b)
	}
	return nil, fmt.Errorf("compression %q: want none, gzip, gzip-multi or zstd", how)
}

func gzipOf(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	err := zw.Close()
	return buf.Bytes(), err
}

func zstdOf(b []byte) ([]byte, error) {
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil), nil
}
