//go:build isal

package layer

import (
	"bufio"
	"errors"
	"hash/crc32"
	"io"
)

// The errors of the pure-Go build's gzip reader, with the same text.
var (
	errGzipHeader   = errors.New("gzip: invalid header")
	errGzipChecksum = errors.New("gzip: invalid checksum")
)

// readGzipHeader consumes one gzip member header (RFC 1952 section 2.3)
// by the rules of klauspost/compress/gzip, which the default build uses:
// a file name or comment longer than 511 bytes, a wrong header CRC or a
// reserved flag bit is an invalid header; io.EOF means no header at all,
// a header cut short is io.ErrUnexpectedEOF.
func readGzipHeader(br *bufio.Reader) error {
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
		for i := 0; ; i++ {
			if i >= 512 {
				return errGzipHeader
			}
			c, err := br.ReadByte()
			if err != nil {
				return noEOF(err)
			}
			sum = crc32.Update(sum, crc32.IEEETable, []byte{c})
			if c == 0 {
				break
			}
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
