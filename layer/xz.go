package layer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// xzReader decodes the xz format (tukaani.org/xz/xz-file-format.txt,
// version 1.2.1) as xz -dc, which docker load runs, accepts it: one or
// more streams, each optionally followed by stream padding (zero bytes in
// groups of four), nothing else after them. The container is parsed here:
// stream header and footer, block headers, padding and integrity checks,
// and the index, which must describe the blocks exactly. The LZMA2 data of
// each block is decoded by ulikunitz/xz/lzma, with a dictionary no larger
// than the block can use (its declared size or uncompressed size),
// bounded by Limits.MaxWindowBytes before it is allocated.
//
// Errors follow liblzma's classes: what it calls corrupt data is
// ErrCorrupt, what it calls unsupported options (filters other than
// LZMA2, such as the BCJ filters, reserved flags, integrity checks other
// than none, CRC32, CRC64 and SHA-256) is ErrUnsupported.
type xzReader struct {
	br    *bufio.Reader
	meter *meter
	err   error

	streams  int
	inStream bool
	flags    [2]byte
	check    byte
	blocks   uint64    // blocks of the stream so far
	records  hash.Hash // the index records the blocks make, hashed
	index    int64     // the size of the stream's index
	block    *xzBlock
	header   int64 // the size of the current block's header
	declared int64 // the current block's declared compressed size; -1 if not
	scratch  [1024]byte
}

var xzMagic = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}

var crc64Table = crc64.MakeTable(crc64.ECMA)

func newXzReader(br *bufio.Reader, m *meter) *xzReader {
	return &xzReader{br: br, meter: m}
}

func xzCorrupt(format string, args ...any) error {
	return fmt.Errorf("%w: xz: "+format, append([]any{ErrCorrupt}, args...)...)
}

func xzUnsupported(format string, args ...any) error {
	return fmt.Errorf("%w: xz: "+format, append([]any{ErrUnsupported}, args...)...)
}

// xzClass gives a decoder or reader error its class.
func xzClass(err error) error {
	switch {
	case errors.Is(err, ErrCorrupt) || errors.Is(err, ErrLimit) || errors.Is(err, ErrUnsupported):
		return err
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return xzCorrupt("unexpected end of input")
	}
	return corrupt(Xz, err)
}

func (x *xzReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, x.err
	}
	for x.err == nil {
		if x.block == nil {
			x.err = x.next()
			continue
		}
		n, err := x.block.read(p)
		if err == io.EOF {
			err = x.endBlock()
		}
		if err != nil {
			x.err = xzClass(err)
		}
		if n > 0 {
			return n, nil // any error comes with the next call
		}
	}
	return 0, x.err
}

// next reads what comes between blocks: a stream header, a block header,
// or an index and stream footer. It returns io.EOF at the end.
func (x *xzReader) next() error {
	if !x.inStream {
		return x.startStream()
	}
	b, err := x.br.ReadByte()
	if err != nil {
		return xzClass(io.ErrUnexpectedEOF)
	}
	if b != 0 {
		return x.startBlock(b)
	}
	if err := x.readIndex(); err != nil {
		return err
	}
	if err := x.readFooter(); err != nil {
		return err
	}
	x.inStream = false
	return nil
}

// startStream reads a stream header; after the first stream, the stream
// padding before it, or the end of the input (io.EOF).
func (x *xzReader) startStream() error {
	h := x.scratch[:12]
	if x.streams > 0 {
		for {
			n, err := io.ReadFull(x.br, h[:4])
			if n == 0 && err == io.EOF {
				return io.EOF
			}
			if err != nil {
				return xzCorrupt("%d bytes after the last stream are neither stream padding nor a stream", n)
			}
			if !bytes.Equal(h[:4], []byte{0, 0, 0, 0}) {
				break
			}
		}
		if _, err := io.ReadFull(x.br, h[4:]); err != nil || !bytes.Equal(h[:6], xzMagic) {
			return xzCorrupt("bytes after a stream are neither stream padding nor a stream")
		}
	} else if _, err := io.ReadFull(x.br, h); err != nil {
		return xzClass(io.ErrUnexpectedEOF)
	}
	switch {
	case !bytes.Equal(h[:6], xzMagic):
		return xzCorrupt("not an xz stream header")
	case crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:12]):
		return xzCorrupt("stream %d: header checksum mismatch", x.streams+1)
	case h[6] != 0 || h[7]&0xF0 != 0:
		return xzUnsupported("stream %d: reserved stream flags %#02x %#02x", x.streams+1, h[6], h[7])
	}
	x.check = h[7]
	if xzCheckSize(x.check) < 0 {
		return xzUnsupported("stream %d: integrity check %d is not supported (xz -dc warns, and docker load fails)", x.streams+1, x.check)
	}
	x.streams++
	x.inStream = true
	copy(x.flags[:], h[6:8])
	x.blocks = 0
	x.records = sha256.New()
	return nil
}

// xzCheckSize is the size of an integrity check; -1 for the checks xz
// itself does not verify.
func xzCheckSize(id byte) int {
	switch id {
	case 0x00:
		return 0
	case 0x01:
		return 4 // CRC32
	case 0x04:
		return 8 // CRC64
	case 0x0A:
		return 32 // SHA-256
	}
	return -1
}

func (x *xzReader) newCheck() hash.Hash {
	switch x.check {
	case 0x01:
		return crc32.NewIEEE()
	case 0x04:
		return crc64.New(crc64Table)
	case 0x0A:
		return sha256.New()
	}
	return nil
}

// xzVLI decodes a variable-length integer from the front of b: at most
// nine bytes, in its shortest form, as liblzma requires.
func xzVLI(b []byte) (v uint64, n int, ok bool) {
	for n < len(b) && n < 9 {
		c := b[n]
		v |= uint64(c&0x7F) << (7 * n)
		n++
		if c&0x80 == 0 {
			return v, n, c != 0 || n == 1
		}
	}
	return 0, n, false
}

// startBlock reads the header of block x.blocks+1, whose first byte is
// size, and sets up its decoder.
func (x *xzReader) startBlock(size byte) error {
	num := x.blocks + 1
	hs := (int(size) + 1) * 4
	h := x.scratch[:hs]
	h[0] = size
	if _, err := io.ReadFull(x.br, h[1:]); err != nil {
		return xzClass(io.ErrUnexpectedEOF)
	}
	if crc32.ChecksumIEEE(h[:hs-4]) != binary.LittleEndian.Uint32(h[hs-4:]) {
		return xzCorrupt("block %d: header checksum mismatch", num)
	}
	flags := h[1]
	if flags&0x3C != 0 {
		return xzUnsupported("block %d: reserved block flags %#02x", num, flags)
	}
	bh, err := parseXzBlockHeader(h[2:hs-4], flags, num)
	if err != nil {
		return err
	}
	// The decoder never looks further back than the block's output.
	dict := max(4096, bh.dict)
	if bh.uncompressed >= 0 {
		dict = min(dict, max(4096, uint64(bh.uncompressed)))
	}
	if dict > x.meter.lim.MaxWindowBytes {
		return x.meter.lim.windowError(Xz, fmt.Sprintf("block %d needs a dictionary of", num), dict)
	}
	if err := x.meter.allocated(int64(dict)); err != nil {
		return err
	}
	chunks := newLZMA2Chunks(x.br, bh.compressed, x.meter)
	lz, err := lzma.Reader2Config{DictCap: int(dict)}.NewReader2(chunks)
	if err != nil {
		return xzClass(err)
	}
	x.block = &xzBlock{chunks: chunks, lz: lz, uncompressed: bh.uncompressed, check: x.newCheck()}
	x.header, x.declared = int64(hs), bh.compressed
	return nil
}

// xzBlockHeader is what a block header declares.
type xzBlockHeader struct {
	compressed, uncompressed int64 // -1 when not declared
	dict                     uint64
}

// parseXzBlockHeader parses the fields of a block header between its
// flags and its CRC32: sizes, filter flags, padding.
func parseXzBlockHeader(p []byte, flags byte, num uint64) (xzBlockHeader, error) {
	bh := xzBlockHeader{compressed: -1, uncompressed: -1}
	for _, f := range []struct {
		bit byte
		to  *int64
	}{{0x40, &bh.compressed}, {0x80, &bh.uncompressed}} {
		if flags&f.bit == 0 {
			continue
		}
		v, n, ok := xzVLI(p)
		if !ok || v >= 1<<63 || (f.bit == 0x40 && v == 0) {
			return bh, xzCorrupt("block %d: invalid size in header", num)
		}
		*f.to, p = int64(v), p[n:]
	}
	filters := int(flags&3) + 1
	for i := range filters {
		id, n, ok := xzVLI(p)
		if !ok {
			return bh, xzCorrupt("block %d: invalid filter flags", num)
		}
		p = p[n:]
		size, n, ok := xzVLI(p)
		if !ok || size > uint64(len(p)-n) {
			return bh, xzCorrupt("block %d: invalid filter flags", num)
		}
		props := p[n : n+int(size)]
		p = p[n+int(size):]
		if id != 0x21 || i != filters-1 {
			return bh, xzUnsupported("block %d: filter %s: only LZMA2 alone can be decoded", num, xzFilterName(id))
		}
		if len(props) != 1 || props[0] > 40 {
			return bh, xzUnsupported("block %d: invalid LZMA2 properties", num)
		}
		bh.dict = 0xFFFFFFFF
		if b := props[0]; b < 40 {
			bh.dict = uint64(2|b&1) << (b/2 + 11)
		}
	}
	if !bytes.Equal(p, make([]byte, len(p))) {
		return bh, xzUnsupported("block %d: header padding is not zero", num)
	}
	return bh, nil
}

func xzFilterName(id uint64) string {
	names := map[uint64]string{0x03: "delta", 0x04: "x86 BCJ", 0x05: "PowerPC BCJ", 0x06: "IA-64 BCJ",
		0x07: "ARM BCJ", 0x08: "ARM-Thumb BCJ", 0x09: "SPARC BCJ", 0x0A: "ARM64 BCJ", 0x0B: "RISC-V BCJ", 0x21: "LZMA2 (not last)"}
	if s, ok := names[id]; ok {
		return s
	}
	return fmt.Sprintf("%#x", id)
}

// endBlock checks what follows a block's data: its declared sizes, the
// block padding and the integrity check, and records the block for the
// index.
func (x *xzReader) endBlock() error {
	b := x.block
	x.block = nil
	x.blocks++
	compressed := b.chunks.n
	if (x.declared >= 0 && compressed != x.declared) || (b.uncompressed >= 0 && b.out != b.uncompressed) {
		return xzCorrupt("block %d: sizes differ from its header's", x.blocks)
	}
	size := xzCheckSize(x.check)
	pad := int((4 - compressed%4) % 4)
	t := x.scratch[:pad+size]
	if _, err := io.ReadFull(x.br, t); err != nil {
		return xzClass(io.ErrUnexpectedEOF)
	}
	if !bytes.Equal(t[:pad], make([]byte, pad)) {
		return xzCorrupt("block %d: padding is not zero", x.blocks)
	}
	if !checkMatches(x.check, b.check, t[pad:]) {
		return xzCorrupt("block %d: integrity check mismatch", x.blocks)
	}
	record(x.records, uint64(x.header+compressed+int64(size)), uint64(b.out))
	return nil
}

// checkMatches compares an integrity check as stored (little endian for
// the CRCs) with the computed one.
func checkMatches(id byte, h hash.Hash, stored []byte) bool {
	switch id {
	case 0x01:
		return binary.LittleEndian.Uint32(stored) == h.(hash.Hash32).Sum32()
	case 0x04:
		return binary.LittleEndian.Uint64(stored) == h.(hash.Hash64).Sum64()
	case 0x0A:
		return bytes.Equal(stored, h.Sum(nil))
	}
	return true
}

// record hashes one index record: its unpadded and uncompressed sizes.
func record(h hash.Hash, unpadded, uncompressed uint64) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], unpadded)
	binary.LittleEndian.PutUint64(b[8:], uncompressed)
	h.Write(b[:])
}

// readIndex reads a stream's index, whose indicator byte has been read,
// and checks that it lists the stream's blocks exactly. Like liblzma, it
// compares hashes of the two lists rather than keeping either.
func (x *xzReader) readIndex() error {
	r := &xzIndexReader{br: x.br, crc: crc32.Update(0, crc32.IEEETable, []byte{0}), n: 1}
	count, err := r.vli()
	if err != nil {
		return err
	}
	if count != x.blocks {
		return xzCorrupt("stream %d: the index lists %d blocks, the stream has %d", x.streams, count, x.blocks)
	}
	listed := sha256.New()
	for range count {
		unpadded, err := r.vli()
		if err != nil {
			return err
		}
		uncompressed, err := r.vli()
		if err != nil {
			return err
		}
		record(listed, unpadded, uncompressed)
	}
	if !bytes.Equal(listed.Sum(nil), x.records.Sum(nil)) {
		return xzCorrupt("stream %d: the index does not match the blocks", x.streams)
	}
	for r.n%4 != 0 {
		if b, err := r.readByte(); err != nil || b != 0 {
			return xzCorrupt("stream %d: index padding is not zero", x.streams)
		}
	}
	crc := r.crc
	var c [4]byte
	if _, err := io.ReadFull(x.br, c[:]); err != nil {
		return xzClass(io.ErrUnexpectedEOF)
	}
	if binary.LittleEndian.Uint32(c[:]) != crc {
		return xzCorrupt("stream %d: index checksum mismatch", x.streams)
	}
	x.index = r.n + 4
	return nil
}

// readFooter reads a stream footer and checks it against the header and
// the index.
func (x *xzReader) readFooter() error {
	f := x.scratch[:12]
	if _, err := io.ReadFull(x.br, f); err != nil {
		return xzClass(io.ErrUnexpectedEOF)
	}
	switch {
	case f[10] != 'Y' || f[11] != 'Z':
		return xzCorrupt("stream %d: not a stream footer", x.streams)
	case crc32.ChecksumIEEE(f[4:10]) != binary.LittleEndian.Uint32(f[:4]):
		return xzCorrupt("stream %d: footer checksum mismatch", x.streams)
	case !bytes.Equal(f[8:10], x.flags[:]):
		return xzCorrupt("stream %d: footer flags differ from the header's", x.streams)
	case (int64(binary.LittleEndian.Uint32(f[4:8]))+1)*4 != x.index:
		return xzCorrupt("stream %d: footer gives the wrong index size", x.streams)
	}
	return nil
}

// xzIndexReader reads an index byte by byte, counting and checksumming.
type xzIndexReader struct {
	br  *bufio.Reader
	crc uint32
	n   int64
}

func (r *xzIndexReader) readByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, xzClass(io.ErrUnexpectedEOF)
	}
	r.crc = crc32.Update(r.crc, crc32.IEEETable, []byte{b})
	r.n++
	return b, nil
}

// vli reads a variable-length integer by xzVLI's rules.
func (r *xzIndexReader) vli() (uint64, error) {
	var v uint64
	for i := range 9 {
		c, err := r.readByte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				break
			}
			return v, nil
		}
	}
	return 0, xzCorrupt("invalid number in the index")
}
