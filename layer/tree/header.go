package tree

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// The tar format, as far as this package reads it. The rules below follow
// Go's archive/tar reader (which docker and containerd use to extract
// layers) decision for decision, so that a layer is valid here exactly
// when it is valid to them; the differential tests hold the two together.

const (
	blockSize = 512
	// maxSpecialBytes caps a PAX extended header, a GNU long name or link,
	// and a sparse map: 1 MiB, the limit of archive/tar and libarchive.
	maxSpecialBytes = 1 << 20
)

// Tar type flags.
const (
	typeReg      = '0'
	typeRegA     = '\x00'
	typeLink     = '1'
	typeSymlink  = '2'
	typeChar     = '3'
	typeBlock    = '4'
	typeDir      = '5'
	typeFifo     = '6'
	typePAX      = 'x'
	typePAXG     = 'g'
	typeLongName = 'L'
	typeLongLink = 'K'
	typeSparse   = 'S'
)

// Header formats as archive/tar detects them from the magic bytes.
const (
	formatV7 = iota
	formatUSTAR
	formatGNU
	formatSTAR
)

// errHeader is the one error of a header that does not parse; the walker
// turns it into a finding that names the entry and the offset.
var errHeader = errors.New("invalid tar header")

// headerOnly reports whether entries of this type have no data section,
// whatever their size field says.
func headerOnly(flag byte) bool {
	switch flag {
	case typeLink, typeSymlink, typeChar, typeBlock, typeDir, typeFifo:
		return true
	}
	return false
}

// cString returns b up to its first NUL.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// parseNumeric reads a numeric field: base-256 when the high bit of the
// first byte is set (GNU and star extension, two's complement), octal
// otherwise. ok is false on overflow or a bad digit.
func parseNumeric(b []byte) (int64, bool) {
	if len(b) == 0 || b[0]&0x80 == 0 {
		return parseOctal(b)
	}
	var inv byte
	if b[0]&0x40 != 0 {
		inv = 0xff
	}
	var x uint64
	for i, c := range b {
		c ^= inv
		if i == 0 {
			c &= 0x7f
		}
		if x>>56 > 0 {
			return 0, false
		}
		x = x<<8 | uint64(c)
	}
	if x>>63 > 0 {
		return 0, false
	}
	if inv == 0xff {
		return ^int64(x), true
	}
	return int64(x), true
}

// parseOctal trims spaces and NULs on both sides, stops at an inner NUL
// and reads the rest as an unsigned octal number.
func parseOctal(b []byte) (int64, bool) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == 0) {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == 0) {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return 0, true
	}
	b = cString(b)
	var x uint64
	for _, c := range b {
		if c < '0' || c > '7' || x>>61 != 0 {
			return 0, false
		}
		x = x<<3 | uint64(c-'0')
	}
	return int64(x), true
}

// checksumOK reports whether the checksum field matches the sum of the
// block's bytes with the field itself read as spaces, summed as unsigned
// bytes (POSIX) or as signed bytes (old Sun tar).
func checksumOK(b []byte) bool {
	want, ok := parseOctal(b[148:156])
	if !ok {
		return false
	}
	unsigned := blockSum(b)
	for _, c := range b[148:156] {
		unsigned -= int64(c)
	}
	unsigned += 8 * ' '
	if want == unsigned {
		return true
	}
	var high int64
	for i, c := range b {
		if c >= 0x80 && (i < 148 || i >= 156) {
			high++
		}
	}
	return want == unsigned-256*high
}

// blockSum adds the 512 bytes of a block eight at a time, in four 16-bit
// lanes that cannot overflow (64 words of at most 2*255 per lane).
func blockSum(b []byte) int64 {
	const lanes = 0x00ff00ff00ff00ff
	var acc uint64
	blk := (*[blockSize]byte)(b)
	for i := 0; i+8 <= blockSize; i += 8 {
		w := binary.LittleEndian.Uint64(blk[i : i+8])
		acc += w&lanes + (w>>8)&lanes
	}
	return int64(acc&0xffff + (acc>>16)&0xffff + (acc>>32)&0xffff + acc>>48)
}

// blockFormat returns the header format announced by the magic bytes.
func blockFormat(b []byte) int {
	magic, version, trailer := string(b[257:263]), string(b[263:265]), string(b[508:512])
	switch {
	case magic == "ustar\x00" && trailer == "tar\x00":
		return formatSTAR
	case magic == "ustar\x00":
		return formatUSTAR
	case magic == "ustar " && version == " \x00":
		return formatGNU
	}
	return formatV7
}

func isZeroBlock(b []byte) bool {
	return b[0] == 0 && bytes.Equal(b, zeroBlock[:])
}

var zeroBlock [blockSize]byte

// parseBlock fills h from one header block. The name is assembled in
// nameBuf (prefix + "/" + name) when the format has a prefix field.
func parseBlock(b []byte, h *header, nameBuf []byte) ([]byte, error) {
	if !checksumOK(b) {
		return nameBuf, errHeader
	}
	format := blockFormat(b)
	*h = header{typeflag: b[156], format: format}
	ok := true
	num := func(field []byte) int64 {
		v, good := parseNumeric(field)
		ok = ok && good
		return v
	}
	h.name = cString(b[0:100])
	h.linkname = cString(b[157:257])
	h.size = num(b[124:136])
	h.mode = num(b[100:108])
	h.uid = num(b[108:116])
	h.gid = num(b[116:124])
	h.mtime = num(b[136:148])
	if format == formatV7 {
		return nameBuf, okErr(ok)
	}
	h.uname = cString(b[265:297])
	h.gname = cString(b[297:329])
	num(b[329:337]) // device major and minor: parsed for validity only
	num(b[337:345])
	var prefix []byte
	switch format {
	case formatUSTAR:
		prefix = cString(b[345:500])
	case formatSTAR:
		prefix = cString(b[345:476])
		num(b[476:488])
		num(b[488:500])
	case formatGNU:
		prefix = gnuPrefix(b)
	}
	if len(prefix) > 0 {
		nameBuf = append(append(append(nameBuf[:0], prefix...), '/'), h.name...)
		h.name = nameBuf
	}
	return nameBuf, okErr(ok)
}

// gnuPrefix mirrors archive/tar's tolerance of tar files written by Go
// before 1.8, which put a USTAR prefix where GNU keeps atime and ctime:
// when those fields do not parse, an ASCII prefix there is the name's.
func gnuPrefix(b []byte) []byte {
	bad := false
	for _, f := range [][]byte{b[345:357], b[357:369]} {
		if f[0] != 0 {
			if _, ok := parseNumeric(f); !ok {
				bad = true
			}
		}
	}
	if !bad {
		return nil
	}
	p := cString(b[345:500])
	for _, c := range p {
		if c >= 0x80 {
			return nil
		}
	}
	return p
}

func okErr(ok bool) error {
	if ok {
		return nil
	}
	return errHeader
}
