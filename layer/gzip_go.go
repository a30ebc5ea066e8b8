//go:build !isal

package layer

import (
	"io"

	"github.com/klauspost/compress/gzip"
)

// GzipDecoder names the deflate implementation this build uses.
const GzipDecoder = "klauspost/compress (pure Go)"

// NewGzipReader decodes a gzip stream of one or more members with this
// build's decoder (see [GzipDecoder]). Nothing past the last member is
// consumed from a *bufio.Reader; bytes there that do not start a member
// are an error.
func NewGzipReader(in GzipInput) (io.ReadCloser, error) {
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, err
	}
	zr.Multistream(true)
	return zr, nil
}
