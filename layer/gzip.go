package layer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// The gzip reader's own errors, with the text of klauspost/compress/gzip
// (and compress/gzip).
var (
	errGzipHeader   = errors.New("gzip: invalid header")
	errGzipChecksum = errors.New("gzip: invalid checksum")
)

// gzipSource is what gzip member headers and trailers are read from: a
// *bufio.Reader, or a memSource over a stream held in memory.
type gzipSource interface {
	io.Reader
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	// Buffered is how many bytes Peek gives without reading more, Size
	// the most it ever gives.
	Buffered() int
	Size() int
}

// readGzipHeader consumes one gzip member header (RFC 1952 section 2.3),
// the same way in both builds: a wrong magic, method, header CRC or a
// reserved flag bit is an invalid header; io.EOF means no header at all,
// a header cut short is io.ErrUnexpectedEOF. A file name or comment may
// be of any length, as RFC 1952 allows: they are checksummed and skipped,
// never kept, so a long one costs what any stored byte costs.
// (klauspost/compress/gzip and compress/gzip refuse those over 511
// bytes as an invalid header.)
func readGzipHeader(br gzipSource) error {
	const (
		flagHdrCrc  = 1 << 1
		flagExtra   = 1 << 2
		flagName    = 1 << 3
		flagComment = 1 << 4
	)
	var buf [10]byte
	if _, err := io.ReadFull(br, buf[:]); err != nil {
		return err
	}
	if buf[0] != 0x1f || buf[1] != 0x8b || buf[2] != 8 {
		return errGzipHeader
	}
	flg := buf[3]
	sum := crc32.ChecksumIEEE(buf[:])
	if flg&flagExtra != 0 {
		if _, err := io.ReadFull(br, buf[:2]); err != nil {
			return noEOF(err)
		}
		sum = crc32.Update(sum, crc32.IEEETable, buf[:2])
		n := int(buf[0]) | int(buf[1])<<8
		for n > 0 {
			b, err := br.Peek(min(n, br.Size()))
			if len(b) == 0 {
				return noEOF(err)
			}
			sum = crc32.Update(sum, crc32.IEEETable, b)
			br.Discard(len(b))
			n -= len(b)
		}
	}
	for _, f := range []byte{flagName, flagComment} {
		if flg&f == 0 {
			continue
		}
		if err := skipZeroTerminated(br, &sum); err != nil {
			return err
		}
	}
	if flg&flagHdrCrc != 0 {
		if _, err := io.ReadFull(br, buf[:2]); err != nil {
			return noEOF(err)
		}
		if uint16(buf[0])|uint16(buf[1])<<8 != uint16(sum) {
			return errGzipHeader
		}
	}
	if flg>>5 != 0 {
		return errGzipHeader
	}
	return nil
}

// noEOF turns a clean end inside a structure into a truncation.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// skipZeroTerminated consumes a zero-terminated field, adding it to the
// header CRC sum.
func skipZeroTerminated(br gzipSource, sum *uint32) error {
	for {
		b, err := br.Peek(max(1, br.Buffered()))
		if len(b) == 0 {
			return noEOF(err)
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i+1]
		}
		*sum = crc32.Update(*sum, crc32.IEEETable, b)
		br.Discard(len(b))
		if b[len(b)-1] == 0 {
			return nil
		}
	}
}

// goGzipReader decodes a gzip stream of one or more members in Go: member
// headers by readGzipHeader, deflate data by klauspost/compress/flate,
// and each member's trailer (CRC-32 and size of its output) here.
type goGzipReader struct {
	br   gzipSource   // member headers and trailers
	src  flate.Reader // deflate data: br, or the *bytes.Reader under it
	fr   io.ReadCloser
	crc  uint32
	size uint32
	err  error
}

// newGoGzipReader is the pure-Go build's NewGzipReader; the isal build's
// differential tests compare with it.
func newGoGzipReader(br *bufio.Reader) (io.ReadCloser, error) {
	return newGoGzip(br, br)
}

// newGzipFromMemory decodes the gzip stream held in r from its current
// position, in Go: klauspost's deflate decoder reads a *bytes.Reader
// fastest, with nothing to refill (on the gzipped docker save of
// bench/run.sh, 8% less CPU than through a bufio.Reader, issue 16).
// Nothing past the last member is consumed from r.
func newGzipFromMemory(r *bytes.Reader) (io.ReadCloser, error) {
	return newGoGzip(&memSource{r: r}, r)
}

func newGoGzip(br gzipSource, src flate.Reader) (io.ReadCloser, error) {
	if err := readGzipHeader(br); err != nil {
		return nil, err
	}
	return &goGzipReader{br: br, src: src, fr: flate.NewReader(src)}, nil
}

func (z *goGzipReader) Read(p []byte) (int, error) {
	for z.err == nil {
		n, err := z.fr.Read(p)
		z.crc = crc32.Update(z.crc, crc32.IEEETable, p[:n])
		z.size += uint32(n)
		switch {
		case err == io.EOF:
			z.err = z.endMember()
		case err != nil:
			z.err = err
		}
		if n > 0 || len(p) == 0 {
			return n, nil // an error comes with the next call
		}
	}
	return 0, z.err
}

// endMember checks the trailer of the member whose deflate data just
// ended and reads the next member's header: io.EOF when there is none.
func (z *goGzipReader) endMember() error {
	var t [8]byte
	if _, err := io.ReadFull(z.br, t[:]); err != nil {
		return noEOF(err)
	}
	if binary.LittleEndian.Uint32(t[:4]) != z.crc || binary.LittleEndian.Uint32(t[4:]) != z.size {
		return errGzipChecksum
	}
	if err := readGzipHeader(z.br); err != nil {
		return err // io.EOF: a clean end after a whole member
	}
	z.crc, z.size = 0, 0
	return z.fr.(flate.Resetter).Reset(z.src, nil)
}

// Close releases the deflate decoder. It is safe to call more than once.
func (z *goGzipReader) Close() error {
	if z.err == nil {
		z.err = errors.New("gzip: read after Close")
	}
	return z.fr.Close()
}

// memSource is the gzipSource of a stream in a *bytes.Reader: Peek
// copies up to memPeek bytes out with ReadAt, and leaves them unread.
type memSource struct {
	r   *bytes.Reader
	buf [memPeek]byte
}

// memPeek is the most a memSource peeks at once: headers are read in
// steps of this size, however long their names and comments.
const memPeek = 4 << 10

func (m *memSource) Read(p []byte) (int, error) { return m.r.Read(p) }

func (m *memSource) Peek(n int) ([]byte, error) {
	if n > memPeek {
		return nil, bufio.ErrBufferFull
	}
	k, err := m.r.ReadAt(m.buf[:n], m.r.Size()-int64(m.r.Len()))
	return m.buf[:k], err // io.EOF with fewer than n
}

func (m *memSource) Discard(n int) (int, error) {
	k := min(n, m.r.Len())
	m.r.Seek(int64(k), io.SeekCurrent) // within the slice: cannot fail
	if k < n {
		return k, io.EOF
	}
	return k, nil
}

func (m *memSource) Buffered() int { return min(m.r.Len(), memPeek) }

func (m *memSource) Size() int { return memPeek }
