package layer

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errNotTar is the class of bytes that are not a tar stream archive/tar
// (docker's and containerd's reader) reads to its end.
var errNotTar = errors.New("not a tar stream")

// tarFrame follows the block structure of a tar stream as its bytes go
// by, as archive/tar's Reader walks it, keeping only the small special
// bodies: each header's checksum and size, the body it announces (none
// for links, devices, directories and fifos), a PAX header's size and path
// records, a GNU long name, old GNU sparse extension blocks, and the end:
// two zero blocks, or the end of the stream at a header boundary or in a
// body's padding. What follows the end marker is not looked at (docker
// drains it into the diffID). It checks the framing, not every field
// archive/tar parses.
type tarFrame struct {
	blk      [blockSize]byte
	have     int   // bytes of blk filled
	skip     int64 // body bytes still to pass
	pad      int64 // padding bytes after them
	special  []byte
	keep     bool  // the body being passed is kept in special
	flag     byte  // the type of the header whose body is passed
	paxSize  int64 // the size record of a pending PAX header
	hasSize  bool
	paxPath  string
	longName string
	extended bool // old GNU sparse extension blocks follow
	bodySkip int64
	zero     bool // the last block was a zero block
	ended    bool
	entries  int64
	err      error
}

const (
	blockSize = 512
	// maxSpecialBytes is archive/tar's cap on a PAX header or a GNU long
	// name (maxSpecialFileSize): over it, the reader fails.
	maxSpecialBytes = 1 << 20
)

func newTarFrame() *tarFrame { return &tarFrame{} }

// Write follows p; it never fails, the verdict is Err's.
func (f *tarFrame) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && f.err == nil && !f.ended {
		switch {
		case f.skip > 0:
			m := int(min(f.skip, int64(len(p))))
			if f.keep {
				f.special = append(f.special, p[:m]...)
			}
			f.skip -= int64(m)
			p = p[m:]
			if f.skip == 0 && f.keep {
				f.endSpecial()
			}
		case f.pad > 0:
			m := int(min(f.pad, int64(len(p))))
			f.pad -= int64(m)
			p = p[m:]
		default:
			m := copy(f.blk[f.have:], p)
			f.have += m
			p = p[m:]
			if f.have == blockSize {
				f.have = 0
				f.block()
			}
		}
	}
	return n, nil
}

// Err returns nil when the bytes written so far, ending here, are a tar
// stream archive/tar reads to its end; else an errNotTar error.
func (f *tarFrame) Err() error {
	switch {
	case f.err != nil:
		return f.err
	case f.ended || (f.have == 0 && f.skip == 0 && !f.extended):
		return nil
	}
	return fmt.Errorf("%w: the stream ends inside entry %d (unexpected EOF)", errNotTar, f.entries)
}

// problem is Err's message, empty for a tar stream.
func (f *tarFrame) problem() string {
	if err := f.Err(); err != nil {
		return err.Error()
	}
	return ""
}

func (f *tarFrame) fail(format string, args ...any) {
	f.err = fmt.Errorf("%w: entry %d: %s", errNotTar, f.entries, fmt.Sprintf(format, args...))
}

var zeroBlock [blockSize]byte

// block takes one whole 512-byte block at a header position.
func (f *tarFrame) block() {
	b := f.blk[:]
	if f.extended {
		f.extended = b[504] != 0 // an old GNU sparse extension block
		if !f.extended {
			f.setBody(f.bodySkip)
		}
		return
	}
	if b[0] == 0 && bytes.Equal(b, zeroBlock[:]) {
		f.ended = f.zero
		f.zero = true
		return
	}
	if f.zero {
		f.fail("a zero block followed by a header (archive/tar: invalid tar header)")
		return
	}
	f.entries++
	sum, ok := parseOctal(b[148:156])
	if !ok || !checksumOK(b, sum) {
		f.fail("header checksum does not match (archive/tar: invalid tar header)")
		return
	}
	size, ok := parseNumeric(b[124:136])
	if !ok || !numericFieldsOK(b) {
		f.fail("invalid numeric field (archive/tar: invalid tar header)")
		return
	}
	f.header(b, size)
}

// numericFieldsOK checks the numeric fields archive/tar parses besides
// the size: mode, uid, gid, mtime, and the device numbers of any format
// but V7.
func numericFieldsOK(b []byte) bool {
	fields := [][2]int{{100, 108}, {108, 116}, {116, 124}, {136, 148}}
	if m := string(b[257:263]); m == "ustar\x00" || m == "ustar " && string(b[263:265]) == " \x00" {
		fields = append(fields, [2]int{329, 337}, [2]int{337, 345})
	}
	for _, r := range fields {
		if _, ok := parseNumeric(b[r[0]:r[1]]); !ok {
			return false
		}
	}
	return true
}

func (f *tarFrame) setBody(size int64) {
	f.skip, f.pad = size, (blockSize-size%blockSize)%blockSize
	if f.skip == 0 && f.keep {
		f.endSpecial()
	}
}

// header sets up the body of a header whose size field is size.
func (f *tarFrame) header(b []byte, size int64) {
	flag := b[156]
	f.flag, f.keep = flag, false
	switch flag {
	case 'x', 'g', 'L', 'K':
		if size < 0 || size > maxSpecialBytes {
			f.fail("a %q header of %d bytes (archive/tar reads at most 1 MiB)", flag, size)
			return
		}
		f.keep, f.special = true, make([]byte, 0, size)
		f.setBody(size)
		return
	}
	if f.hasSize {
		size = f.paxSize // a PAX size record wins over the header's field
	}
	name := f.name(b)
	f.hasSize, f.paxPath, f.longName = false, "", ""
	switch {
	case strings.IndexByte("123456", flag) >= 0 && flag != 0:
		size = 0 // archive/tar reads no body for these, whatever the size
	case flag == 0 && strings.HasSuffix(name, "/"):
		size = 0 // a directory of pre-POSIX tar
	case size < 0:
		f.fail("negative size")
		return
	case flag == 'S':
		if string(b[257:265]) != gnuMagic {
			f.fail("an old GNU sparse header not in GNU format")
			return
		}
		if b[482] != 0 {
			f.extended, f.bodySkip = true, size
			return
		}
	}
	f.setBody(size)
}

// gnuMagic is the magic and version of a GNU header.
const gnuMagic = "ustar  \x00"

// name is the entry's name as archive/tar makes it: a GNU long name, else
// a PAX path, else the header's name, after its USTAR prefix.
func (f *tarFrame) name(b []byte) string {
	switch {
	case f.longName != "":
		return f.longName
	case f.paxPath != "":
		return f.paxPath
	}
	name := cString(b[:100])
	if string(b[257:263]) != "ustar\x00" {
		return name
	}
	prefix := cString(b[345:500])
	if string(b[508:512]) == "tar\x00" {
		prefix = cString(b[345:476]) // star
	}
	if prefix != "" {
		name = prefix + "/" + name
	}
	return name
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// endSpecial takes the body of a PAX header or a GNU long name.
func (f *tarFrame) endSpecial() {
	body := f.special
	f.special, f.keep = nil, false
	switch f.flag {
	case 'L':
		f.longName = cString(body)
	case 'x', 'g':
		f.hasSize, f.paxPath = false, ""
		f.paxRecords(body)
		if f.flag == 'g' {
			f.hasSize, f.paxPath = false, "" // a global header stands alone
		}
	}
}

// paxRecords reads the records of a PAX header as archive/tar does,
// keeping the size and path.
func (f *tarFrame) paxRecords(recs []byte) {
	for len(recs) > 0 {
		sp := bytes.IndexByte(recs, ' ')
		n, err := strconv.ParseInt(string(recs[:max(sp, 0)]), 10, 0)
		if sp <= 0 || err != nil || n < 5 || n > int64(len(recs)) || n <= int64(sp)+1 || recs[n-1] != '\n' {
			f.fail("invalid PAX record")
			return
		}
		key, value, ok := bytes.Cut(recs[sp+1:n-1], []byte("="))
		if !ok || len(key) == 0 {
			f.fail("invalid PAX record")
			return
		}
		if !paxValueOK(string(key), string(value)) {
			f.fail("invalid PAX record %q", key)
			return
		}
		switch string(key) {
		case "size":
			f.paxSize, _ = strconv.ParseInt(string(value), 10, 64)
			f.hasSize = true // a negative size fails at its header
		case "path":
			f.paxPath = string(value)
		}
		recs = recs[n:]
	}
}

// paxValueOK checks a PAX record's value as archive/tar's mergePAX and
// validPAXRecord do for the keys they read.
func paxValueOK(key, value string) bool {
	switch key {
	case "path", "linkpath", "uname", "gname":
		return strings.IndexByte(value, 0) < 0
	case "uid", "gid", "size":
		_, err := strconv.ParseInt(value, 10, 64)
		return err == nil
	case "mtime", "atime", "ctime":
		secs, frac, _ := strings.Cut(value, ".")
		_, err := strconv.ParseInt(secs, 10, 64)
		return err == nil && strings.Trim(frac, "0123456789") == ""
	}
	return true
}

// checksumOK checks a header's checksum as archive/tar does: the sum of
// its bytes, the checksum field counted as spaces, unsigned or signed.
func checksumOK(b []byte, want int64) bool {
	var unsigned, signed int64
	for i, c := range b {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}

// parseNumeric reads a numeric header field as archive/tar does: GNU
// base-256 when its high bit is set, else octal.
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

// parseOctal reads an octal field, NUL- or space-padded.
func parseOctal(b []byte) (int64, bool) {
	b = bytes.Trim(b, " \x00")
	if len(b) == 0 {
		return 0, true
	}
	v, err := strconv.ParseUint(cString(b), 8, 64)
	return int64(v), err == nil
}
