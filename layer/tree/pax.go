package tree

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// PAX record keys the walker reads. Everything else in an extended
// header is ignored, as docker and containerd ignore it.
const (
	paxPath         = "path"
	paxLinkpath     = "linkpath"
	paxSize         = "size"
	paxUID          = "uid"
	paxGID          = "gid"
	paxUname        = "uname"
	paxGname        = "gname"
	paxMtime        = "mtime"
	paxAtime        = "atime"
	paxCtime        = "ctime"
	paxSchilyXattr  = "SCHILY.xattr."
	paxLibarchXattr = "LIBARCHIVE.xattr."

	sparseNumBlocks = "GNU.sparse.numblocks"
	sparseOffset    = "GNU.sparse.offset"
	sparseNumBytes  = "GNU.sparse.numbytes"
	sparseMap       = "GNU.sparse.map"
	sparseName      = "GNU.sparse.name"
	sparseMajor     = "GNU.sparse.major"
	sparseMinor     = "GNU.sparse.minor"
	sparseSize      = "GNU.sparse.size"
	sparseRealSize  = "GNU.sparse.realsize"
)

// parsePAX parses the records of an extended header ("%d %s=%s\n" each);
// a later record overrides an earlier one with the same key. GNU sparse
// 0.0 offset/numbytes pairs are gathered into GNU.sparse.map, as
// archive/tar does.
func parsePAX(body []byte) (map[string]string, error) {
	s := string(body)
	recs := map[string]string{}
	var pairs []string
	for len(s) > 0 {
		k, v, rest, err := parsePAXRecord(s)
		if err != nil {
			return nil, err
		}
		s = rest
		switch k {
		case sparseOffset, sparseNumBytes:
			if (len(pairs)%2 == 0) != (k == sparseOffset) || strings.Contains(v, ",") {
				return nil, errHeader
			}
			pairs = append(pairs, v)
		default:
			recs[k] = v
		}
	}
	if len(pairs) > 0 {
		recs[sparseMap] = strings.Join(pairs, ",")
	}
	return recs, nil
}

func parsePAXRecord(s string) (k, v, rest string, err error) {
	nStr, after, ok := strings.Cut(s, " ")
	if !ok {
		return "", "", s, errHeader
	}
	n, perr := strconv.ParseInt(nStr, 10, 0)
	if perr != nil || n < 5 || n > int64(len(s)) {
		return "", "", s, errHeader
	}
	n -= int64(len(nStr) + 1)
	if n <= 0 {
		return "", "", s, errHeader
	}
	rec, nl, rem := after[:n-1], after[n-1:n], after[n:]
	if nl != "\n" {
		return "", "", s, errHeader
	}
	k, v, ok = strings.Cut(rec, "=")
	if !ok || !validPAXRecord(k, v) {
		return "", "", s, errHeader
	}
	return k, v, rem, nil
}

func validPAXRecord(k, v string) bool {
	if k == "" {
		return false
	}
	switch k {
	case paxPath, paxLinkpath, paxUname, paxGname:
		return !strings.Contains(v, "\x00")
	}
	return !strings.Contains(k, "\x00")
}

// mergePAX applies the records of the preceding extended header to h. An
// empty value keeps the header's own field.
func mergePAX(h *header, recs map[string]string) error {
	for k, v := range recs {
		if v == "" {
			continue
		}
		if err := mergeRecord(h, k, v); err != nil {
			return err
		}
	}
	for k, v := range recs {
		if strings.HasPrefix(k, paxSchilyXattr) || strings.HasPrefix(k, paxLibarchXattr) {
			h.xattrs = append(h.xattrs, xattr{key: k, value: v})
		}
	}
	return nil
}

func mergeRecord(h *header, k, v string) error {
	var err error
	switch k {
	case paxPath:
		h.name = []byte(v)
	case paxLinkpath:
		h.linkname = []byte(v)
	case paxUname:
		h.uname = []byte(v)
	case paxGname:
		h.gname = []byte(v)
	case paxUID:
		h.uid, err = strconv.ParseInt(v, 10, 64)
	case paxGID:
		h.gid, err = strconv.ParseInt(v, 10, 64)
	case paxMtime:
		h.mtime, h.nsec, err = parsePAXTime(v)
	case paxAtime, paxCtime:
		_, _, err = parsePAXTime(v)
	case paxSize:
		h.size, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil {
		return errHeader
	}
	return nil
}

// parsePAXTime reads "%d" or "%d.%d" (any number of fraction digits, the
// first nine kept), returning seconds and nanoseconds normalised as
// time.Unix does.
func parsePAXTime(s string) (int64, int32, error) {
	ss, sn, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(ss, 10, 64)
	if err != nil {
		return 0, 0, errHeader
	}
	var nsecs int64
	for i := 0; i < 9; i++ {
		nsecs *= 10
		if i < len(sn) {
			nsecs += int64(sn[i] - '0')
		}
	}
	for i := 0; i < len(sn); i++ {
		if sn[i] < '0' || sn[i] > '9' {
			return 0, 0, errHeader
		}
	}
	if len(ss) > 0 && ss[0] == '-' {
		nsecs = -nsecs
	}
	return normTime(secs, nsecs)
}

// normTime normalises seconds and nanoseconds like time.Unix, so that
// 0 <= nsec < 1e9.
func normTime(sec, nsec int64) (int64, int32, error) {
	if nsec < 0 {
		if sec == math.MinInt64 {
			return sec, 0, nil
		}
		sec--
		nsec += 1e9
	}
	return sec, int32(nsec), nil
}

// sparseEntry is one data fragment of a sparse file.
type sparseEntry struct{ offset, length int64 }

// sparseCheck validates fragments as they come, with archive/tar's (and
// BSD tar's) rules: no negative values, no overflow, inside the file,
// in order and not overlapping.
type sparseCheck struct {
	size, end int64
	count     int
	bad       bool
}

func (c *sparseCheck) add(e sparseEntry) {
	switch {
	case e.offset < 0 || e.length < 0, e.offset > math.MaxInt64-e.length,
		e.offset+e.length > c.size, c.end > e.offset:
		c.bad = true
	}
	if c.size < 0 {
		c.bad = true
	}
	c.end = e.offset + e.length
	c.count++
	if c.count > 1<<20 {
		c.bad = true
	}
}

// paxSparse returns the GNU sparse version announced by the records: 0
// for none, 1 for 0.0 or 0.1 (map in the records), 2 for 1.0 (map at the
// start of the data).
func paxSparse(recs map[string]string) int {
	major, minor := recs[sparseMajor], recs[sparseMinor]
	switch {
	case major == "0" && (minor == "0" || minor == "1"):
		return 1
	case major == "1" && minor == "0":
		return 2
	case major != "" || minor != "":
		return 0
	case recs[sparseMap] != "":
		return 1
	}
	return 0
}

// checkSparseMap01 validates a version 0.x map held in the records.
func checkSparseMap01(recs map[string]string, size int64) bool {
	n, err := strconv.ParseInt(recs[sparseNumBlocks], 10, 0)
	if err != nil || n < 0 || 2*n < n {
		return false
	}
	parts := strings.Split(recs[sparseMap], ",")
	if len(parts) == 1 && parts[0] == "" {
		parts = parts[:0]
	}
	if int64(len(parts)) != 2*n {
		return false
	}
	c := sparseCheck{size: size}
	for i := 0; i+1 < len(parts); i += 2 {
		off, err1 := strconv.ParseInt(parts[i], 10, 64)
		length, err2 := strconv.ParseInt(parts[i+1], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		c.add(sparseEntry{off, length})
	}
	return !c.bad && size >= 0
}

// sparseMap10 tells, for the blocks of a version 1.0 map read so far,
// whether more blocks are needed and, once not, whether the map is valid.
func sparseMap10(buf []byte, size int64) (more, ok bool) {
	first := bytes.IndexByte(buf, '\n')
	if first < 0 {
		return true, false
	}
	n, err := strconv.ParseInt(string(buf[:first]), 10, 0)
	if err != nil || n < 0 || 2*n < n {
		return false, false
	}
	rest := buf[first+1:]
	if int64(bytes.Count(rest, []byte{'\n'})) < 2*n {
		return true, false
	}
	c := sparseCheck{size: size}
	for i := int64(0); i < n; i++ {
		var toks [2]int64
		for j := range toks {
			k := bytes.IndexByte(rest, '\n')
			v, err := strconv.ParseInt(string(rest[:k]), 10, 64)
			if err != nil {
				return false, false
			}
			toks[j], rest = v, rest[k+1:]
		}
		c.add(sparseEntry{toks[0], toks[1]})
	}
	return false, !c.bad && size >= 0
}
