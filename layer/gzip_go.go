//go:build !isal

package layer

import (
	"bufio"
	"io"
)

// GzipDecoder names the deflate implementation this build uses.
const GzipDecoder = "klauspost/compress (pure Go)"

// gzipReadsMemory: NewReader inflates gzip held in a *bytes.Reader
// straight from it (see newGzipFromMemory).
const gzipReadsMemory = true

// NewGzipReader decodes a gzip stream of one or more members with this
// build's decoder (see [GzipDecoder]). Nothing past the last member is
// consumed from br; bytes there that do not start a member are an error.
// File names and comments may be of any length.
func NewGzipReader(br *bufio.Reader) (io.ReadCloser, error) {
	return newGoGzipReader(br)
}
