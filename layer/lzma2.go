package layer

import (
	"bufio"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// lzma2Chunks is the compressed data of one xz block as the LZMA2 decoder
// (ulikunitz/xz/lzma) reads it. It counts the bytes, ends at the block's
// declared compressed size, and follows the LZMA2 chunks with liblzma's
// rules, which xz -dc applies and the decoder does not all apply: a valid
// control byte, a dictionary reset first, properties before the first
// LZMA chunk after a reset, lc+lp at most 4. A chunk header that breaks
// them fails the read that would hand it over. The chunk sizes let
// xzBlock hold the decoder to consuming exactly each chunk's data.
type lzma2Chunks struct {
	r     *bufio.Reader
	limit int64 // the block's compressed size; -1 when not declared
	n     int64 // bytes read
	meter *meter

	hdr       [6]byte
	have      int   // header bytes collected
	need      int   // header bytes of the current chunk; 0 when in its data
	dataLeft  int64 // compressed bytes of the current chunk still to come
	outLeft   int64 // decompressed bytes of the current chunk not yet read
	needReset bool  // no chunk has reset the dictionary yet
	needProps bool  // the next LZMA chunk must set properties
	done      bool  // the end marker was read
	err       error
}

func newLZMA2Chunks(r *bufio.Reader, limit int64, m *meter) *lzma2Chunks {
	return &lzma2Chunks{r: r, limit: limit, meter: m, need: 1, needReset: true, needProps: true}
}

func (c *lzma2Chunks) Read(p []byte) (int, error) {
	switch {
	case c.err != nil:
		return 0, c.err
	case c.done:
		return 0, errors.New("xz: LZMA2 data read past its end marker")
	case c.limit >= 0 && c.n >= c.limit:
		return 0, io.EOF
	}
	if c.limit >= 0 {
		p = p[:min(int64(len(p)), c.limit-c.n)]
	}
	if c.need > 0 {
		p = p[:min(len(p), c.need-c.have)]
	} else {
		p = p[:min(int64(len(p)), c.dataLeft)]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.need == 0 {
		c.dataLeft -= int64(n)
		if c.dataLeft == 0 {
			c.have, c.need = 0, 1
		}
		return n, err
	}
	c.have += copy(c.hdr[c.have:], p[:n])
	if herr := c.header(); herr != nil {
		c.err = herr
		return 0, herr
	}
	return n, err
}

// header acts on the chunk header bytes collected so far.
func (c *lzma2Chunks) header() error {
	if c.have == 0 {
		return nil
	}
	ctl := c.hdr[0]
	if c.have == 1 {
		switch {
		case ctl == 0:
			c.done, c.need = true, 0
			return nil
		case ctl == 1 || ctl >= 0xE0:
			c.needReset, c.needProps = false, true
		case c.needReset:
			return errors.New("xz: the first LZMA2 chunk does not reset the dictionary")
		}
		switch {
		case ctl >= 0xC0:
			c.need = 6
		case ctl >= 0x80 && c.needProps:
			return errors.New("xz: an LZMA2 chunk after a dictionary reset sets no properties")
		case ctl >= 0x80:
			c.need = 5
		case ctl > 2:
			return fmt.Errorf("xz: invalid LZMA2 control byte %#02x", ctl)
		default:
			c.need = 3
		}
	}
	if c.have < c.need {
		return nil
	}
	return c.chunk()
}

// chunk acts on a whole chunk header.
func (c *lzma2Chunks) chunk() error {
	h := c.hdr[:c.need]
	size := int64(h[1])<<8 | int64(h[2]) + 1
	c.need, c.have = 0, 0
	if h[0] < 0x80 { // uncompressed
		c.dataLeft, c.outLeft = size, c.outLeft+size
		return nil
	}
	c.dataLeft = int64(h[3])<<8 | int64(h[4]) + 1
	c.outLeft += int64(h[0]&0x1F)<<16 + size
	if len(h) == 6 {
		props := h[5]
		lc, lp := props%9, props/9%5
		if props > (4*5+4)*9+8 || lc+lp > 4 {
			return fmt.Errorf("xz: invalid LZMA2 properties %#02x", props)
		}
		c.needProps = false
	}
	if h[0] >= 0xA0 {
		// A state reset initialises (or allocates) the probabilities:
		// 0x300<<(lc+lp) literal ones and some 2000 others, 2 bytes each.
		return c.meter.spent(2*(0x300<<4) + 4096)
	}
	return nil
}

// xzBlock decodes the LZMA2 data of one block and checks it against the
// chunk headers and the block header.
type xzBlock struct {
	chunks       *lzma2Chunks
	lz           *lzma.Reader2
	uncompressed int64 // declared; -1 when not
	out          int64
	check        hash.Hash
}

// read decodes into p, one chunk at a time: the decoder must have read
// exactly a chunk's data when it has returned exactly its size, as
// liblzma requires. It returns io.EOF at the end marker.
func (b *xzBlock) read(p []byte) (int, error) {
	c := b.chunks
	if c.outLeft == 0 {
		if c.need == 0 && !c.done {
			return 0, errors.New("xz: an LZMA2 chunk has data left over")
		}
		p = p[:1] // lets the decoder read the next chunk header
	} else {
		p = p[:min(int64(len(p)), c.outLeft)]
	}
	n, err := b.lz.Read(p)
	c.outLeft -= int64(n)
	b.out += int64(n)
	if b.check != nil {
		b.check.Write(p[:n])
	}
	switch {
	case c.err != nil:
		return n, c.err
	case c.outLeft < 0:
		return n, errors.New("xz: an LZMA2 chunk yields more than its header says")
	case b.uncompressed >= 0 && b.out > b.uncompressed:
		return n, errors.New("xz: a block yields more than its header says")
	case err == io.EOF && (!c.done || c.outLeft != 0):
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
