package layer_test

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"hash/crc64"
)

// A hand-made xz writer, written from the xz file format specification
// (version 1.2.1) independently of the reader under test, so each rule
// of the container can be broken on purpose. LZMA2 data is written as
// uncompressed chunks, which need no encoder.

// xzBlockSpec describes one block.
type xzBlockSpec struct {
	data     []byte // the block's content
	sizes    bool   // declare the compressed and uncompressed sizes
	dictProp byte   // LZMA2 dictionary size property (0: 8 MiB)
	// filters are raw filter flags put before LZMA2 (such as a BCJ filter).
	filters []byte
	// lzma2, if set, is the LZMA2 data as is, instead of data's chunks.
	lzma2 []byte
	// extraFlags are ORed into the block flags (reserved bits).
	extraFlags byte
}

// xzCheckIDs are the integrity checks by name.
const (
	xzCheckNone   = 0x00
	xzCheckCRC32  = 0x01
	xzCheckCRC64  = 0x04
	xzCheckSHA256 = 0x0A
)

func appendVLI(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// lzma2Stored is data as LZMA2 uncompressed chunks of at most 64 KiB, the
// first resetting the dictionary, then the end marker.
func lzma2Stored(data []byte) []byte {
	var out []byte
	for i := 0; i < len(data); i += 1 << 16 {
		chunk := data[i:min(i+1<<16, len(data))]
		ctl := byte(2)
		if i == 0 {
			ctl = 1
		}
		out = append(out, ctl, byte((len(chunk)-1)>>8), byte(len(chunk)-1))
		out = append(out, chunk...)
	}
	return append(out, 0)
}

func xzCheckOf(check byte, data []byte) []byte {
	switch check {
	case xzCheckCRC32:
		return binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case xzCheckCRC64:
		return binary.LittleEndian.AppendUint64(nil, crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)))
	case xzCheckSHA256:
		s := sha256.Sum256(data)
		return s[:]
	}
	return make([]byte, xzCheckLen(check))
}

func xzCheckLen(check byte) int {
	switch {
	case check == 0:
		return 0
	case check <= 3:
		return 4
	case check <= 6:
		return 8
	case check <= 9:
		return 16
	case check <= 12:
		return 32
	}
	return 64
}

// xzBlock returns the encoded block and its index record.
func xzBlock(check byte, s xzBlockSpec) (block []byte, unpadded, uncompressed uint64) {
	data := s.lzma2
	if data == nil {
		data = lzma2Stored(s.data)
	}
	dict := s.dictProp
	if dict == 0 {
		dict = 22 // 8 MiB
	}
	hdr := []byte{0, 0}
	nf := 1
	if len(s.filters) > 0 {
		nf = 2
	}
	hdr[1] = byte(nf-1) | s.extraFlags
	if s.sizes {
		hdr[1] |= 0xC0
		hdr = appendVLI(hdr, uint64(len(data)))
		hdr = appendVLI(hdr, uint64(len(s.data)))
	}
	hdr = append(hdr, s.filters...)
	hdr = append(hdr, 0x21, 1, dict)
	for (len(hdr)+4)%4 != 0 {
		hdr = append(hdr, 0)
	}
	hdr[0] = byte((len(hdr)+4)/4 - 1)
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.ChecksumIEEE(hdr))
	block = append(hdr, data...)
	for len(block)%4 != 0 { // the header's size is a multiple of four
		block = append(block, 0)
	}
	c := xzCheckOf(check, s.data)
	block = append(block, c...)
	return block, uint64(len(hdr) + len(data) + len(c)), uint64(len(s.data))
}

// xzIndex encodes an index of records (unpadded, uncompressed pairs).
func xzIndex(records [][2]uint64) []byte {
	idx := appendVLI([]byte{0}, uint64(len(records)))
	for _, r := range records {
		idx = appendVLI(appendVLI(idx, r[0]), r[1])
	}
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	return binary.LittleEndian.AppendUint32(idx, crc32.ChecksumIEEE(idx))
}

// xzStreamParts is a stream in its three parts, so tests can tamper with
// one of them.
type xzStreamParts struct {
	header, blocks, index, footer []byte
	records                       [][2]uint64
}

func xzParts(check byte, blocks ...xzBlockSpec) xzStreamParts {
	flags := []byte{0, check}
	p := xzStreamParts{header: append([]byte{0xFD, '7', 'z', 'X', 'Z', 0}, flags...)}
	p.header = binary.LittleEndian.AppendUint32(p.header, crc32.ChecksumIEEE(flags))
	for _, s := range blocks {
		b, unpadded, uncompressed := xzBlock(check, s)
		p.blocks = append(p.blocks, b...)
		p.records = append(p.records, [2]uint64{unpadded, uncompressed})
	}
	p.index = xzIndex(p.records)
	p.footer = xzFooter(len(p.index), flags)
	return p
}

func xzFooter(indexLen int, flags []byte) []byte {
	f := binary.LittleEndian.AppendUint32(nil, uint32(indexLen/4-1))
	f = append(f, flags...)
	f = append(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(f)), f...)
	return append(f, 'Y', 'Z')
}

func (p xzStreamParts) bytes() []byte { return cat(p.header, p.blocks, p.index, p.footer) }

// xzStream is a whole stream of the given blocks.
func xzStream(check byte, blocks ...xzBlockSpec) []byte { return xzParts(check, blocks...).bytes() }
