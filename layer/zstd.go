package layer

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdDecoder is a decoder kept for the next blob with its tracker: the
// decoder keeps its ring of history (up to Limits.MaxWindowBytes) between
// blobs, so blobs read one after another do not each allocate and zero a
// new one. With two workers and 128 MiB windows that was 530 MB of
// resident memory instead of 280.
type zstdDecoder struct {
	dec     *zstd.Decoder
	frames  *zstdFrames
	history uint64 // the largest window the decoder has set up
}

var zstdPool sync.Pool

// getZstd returns a decoder reading r through a frame tracker that
// charges m.
func getZstd(r io.Reader, m *meter) (*zstdDecoder, error) {
	// The tracker enforces the limit; the decoder's own options are a
	// second guard, within the range it accepts.
	w := min(m.lim.MaxWindowBytes, 1<<40)
	opts := []zstd.DOption{zstd.WithDecoderMaxWindow(w), zstd.WithDecoderMaxMemory(w)}
	zd, _ := zstdPool.Get().(*zstdDecoder)
	if zd == nil {
		zd = &zstdDecoder{}
	}
	zd.frames = &zstdFrames{r: r, meter: m, history: zd.history}
	var err error
	if zd.dec == nil {
		zd.dec, err = zstd.NewReader(zd.frames, append(opts, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false))...)
	} else {
		err = zd.dec.ResetWithOptions(zd.frames, opts...)
	}
	if err != nil {
		return nil, err
	}
	return zd, nil
}

// putZstd keeps zd for the next blob.
func putZstd(zd *zstdDecoder) {
	zd.history = max(zd.history, zd.frames.history)
	zd.dec.Reset(nil)
	zd.frames = nil
	zstdPool.Put(zd)
}

// zstdFrames follows the structure of a zstd stream (RFC 8878 section
// 3.1) as the decoder reads it: frame headers, block headers and the sizes
// they give, checksums, skippable frames. The decoder says "window size
// exceeded" both for a frame asking for a window over the limit and for a
// block larger than its own frame's window (a corrupt frame), in any
// frame; the tracker tells them apart, and fails the read that completes
// a frame header over the limit, so the decoder never sets up that
// window. It also counts the history the decoder allocates.
//
// It only reads the bytes the decoder asks for; when the bytes stop
// making sense it stops following them and leaves the error to the
// decoder.
type zstdFrames struct {
	r     io.Reader
	meter *meter
	// err is the limit the stream went over; reads fail with it.
	err error

	state    zstdState
	buf      [14]byte // the part of a header collected so far
	have     int
	need     int    // header bytes to collect before the next step
	skip     uint64 // bytes to pass before the next step
	frames   int    // data frames seen
	checksum bool   // the current frame ends with a checksum
	last     bool   // the current block is the frame's last
	history  uint64 // the largest window the decoder has set up, for this blob or before
}

type zstdState int

const (
	zstdMagic      zstdState = iota // 4 bytes: a frame's or a skippable frame's magic
	zstdSkippable                   // 4 bytes: a skippable frame's size
	zstdDescriptor                  // 1 byte: Frame_Header_Descriptor
	zstdHeader                      // the rest of the frame header
	zstdBlock                       // 3 bytes: a block header
	zstdLost                        // not zstd any more: the decoder will say so
)

func (f *zstdFrames) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.r.Read(p)
	if ferr := f.feed(p[:n]); ferr != nil {
		f.err = ferr
		return 0, ferr
	}
	return n, err
}

// feed follows b, the next bytes of the stream.
func (f *zstdFrames) feed(b []byte) error {
	for len(b) > 0 && f.state != zstdLost {
		if f.skip > 0 {
			k := uint64(len(b))
			if f.skip < k {
				k = f.skip
			}
			f.skip -= k
			b = b[k:]
			continue
		}
		if f.need == 0 {
			f.expect(zstdMagic, 4)
		}
		k := copy(f.buf[f.have:f.need], b)
		f.have += k
		b = b[k:]
		if f.have < f.need {
			return nil
		}
		if err := f.step(); err != nil {
			return err
		}
	}
	return nil
}

func (f *zstdFrames) expect(s zstdState, n int) {
	f.state, f.have, f.need = s, 0, n
}

// step acts on a whole piece of header in f.buf[:f.need].
func (f *zstdFrames) step() error {
	h := f.buf[:f.need]
	switch f.state {
	case zstdMagic:
		switch m := binary.LittleEndian.Uint32(h); {
		case m == 0xFD2FB528:
			f.expect(zstdDescriptor, 1)
		case m&0xFFFFFFF0 == 0x184D2A50:
			f.expect(zstdSkippable, 4)
		default:
			f.state = zstdLost
		}
	case zstdSkippable:
		f.skip = uint64(binary.LittleEndian.Uint32(h))
		f.expect(zstdMagic, 4)
	case zstdDescriptor:
		fhd := h[0]
		f.checksum = fhd&4 != 0
		n := [4]int{0, 1, 2, 4}[fhd&3] + [4]int{0, 2, 4, 8}[fhd>>6]
		if fhd&0x20 == 0 {
			n++ // Window_Descriptor
		} else if fhd>>6 == 0 {
			n++ // a single segment has a Frame_Content_Size of at least 1 byte
		}
		f.buf[0] = fhd
		f.state, f.have, f.need = zstdHeader, 1, 1+n
	case zstdHeader:
		f.frames++
		if err := f.window(h); err != nil {
			return err
		}
		f.expect(zstdBlock, 3)
	case zstdBlock:
		bh := uint32(h[0]) | uint32(h[1])<<8 | uint32(h[2])<<16
		f.last = bh&1 != 0
		size := uint64(bh >> 3)
		switch (bh >> 1) & 3 {
		case 1: // RLE: one byte
			size = 1
		case 3: // reserved
			f.state = zstdLost
			return nil
		}
		f.next(size)
	}
	return nil
}

// next passes size bytes of block content, and the checksum after the
// last block, then expects what follows.
func (f *zstdFrames) next(size uint64) {
	switch {
	case !f.last:
		f.expect(zstdBlock, 3)
	case f.checksum:
		size += 4
		f.expect(zstdMagic, 4)
	default:
		f.expect(zstdMagic, 4)
	}
	f.skip = size
}

// window checks the window the frame header h asks for, the way the
// decoder computes it, and counts the history the decoder sets up for it.
func (f *zstdFrames) window(h []byte) error {
	fhd := h[0]
	rest := h[1:]
	var window uint64
	if fhd&0x20 == 0 {
		wd := rest[0]
		rest = rest[1:]
		base := uint64(1) << (10 + wd>>3)
		window = base + base/8*uint64(wd&7)
	}
	rest = rest[[4]int{0, 1, 2, 4}[fhd&3]:] // Dictionary_ID
	if fhd&0x20 != 0 {
		switch len(rest) {
		case 1:
			window = uint64(rest[0])
		case 2:
			window = uint64(binary.LittleEndian.Uint16(rest)) + 256
		case 4:
			window = uint64(binary.LittleEndian.Uint32(rest))
		case 8:
			window = binary.LittleEndian.Uint64(rest)
		}
		window = max(window, 1<<10) // the decoder's minimum window
	}
	if window > f.meter.lim.MaxWindowBytes {
		return f.meter.lim.windowError(Zstd, fmt.Sprintf("frame %d asks for a window of", f.frames), window)
	}
	if window <= f.history {
		return nil
	}
	// The decoder keeps one ring of history, the window plus two blocks,
	// and replaces it when a frame needs a larger one. A refused frame
	// gets none.
	if err := f.meter.allocated(int64(window + 2*min(window, 128<<10))); err != nil {
		return err
	}
	f.history = window
	return nil
}
