//go:build isal

package layer

/*
#cgo LDFLAGS: -lisal
#include <stdlib.h>
#include <isa-l/igzip_lib.h>

// td_new allocates a decoder for the deflate data and trailer of a gzip
// member: ISA-L checks the CRC-32 and ISIZE that follow the deflate data,
// and at the end of the member hands back the input it read past them.
// Member headers are parsed in Go.
static struct inflate_state *td_new(void) {
	struct inflate_state *s = malloc(sizeof *s);
	if (s == NULL) return NULL;
	isal_inflate_init(s);
	s->crc_flag = ISAL_GZIP_NO_HDR_VER;
	return s;
}

// td_zeroupper clears the upper halves of the vector registers that
// ISA-L's AVX2 and AVX-512 code leaves dirty. Without it every legacy-SSE
// instruction afterwards pays a merge penalty: Go's SHA-NI sha256 of the
// output ran 100 times slower.
static inline void td_zeroupper(void) {
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx")) __asm__ volatile("vzeroupper" ::: "memory");
#endif
}

static void td_reset(struct inflate_state *s) {
	isal_inflate_reset(s);
	s->crc_flag = ISAL_GZIP_NO_HDR_VER;
}

// td_inflate runs one step on Go-owned buffers, which are pinned for the
// call only: the state never keeps a Go pointer past it.
static int td_inflate(struct inflate_state *s, uint8_t *in, uint32_t in_len,
		uint8_t *out, uint32_t out_len, uint32_t *consumed, uint32_t *produced, int *finished) {
	s->next_in = in;
	s->avail_in = in_len;
	s->next_out = out;
	s->avail_out = out_len;
	int ret = isal_inflate(s);
	td_zeroupper();
	*consumed = in_len - s->avail_in;
	*produced = out_len - s->avail_out;
	*finished = s->block_state == ISAL_BLOCK_FINISH;
	s->next_in = NULL;
	s->avail_in = 0;
	s->next_out = NULL;
	s->avail_out = 0;
	return ret;
}
*/
import "C"

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// GzipDecoder names the deflate implementation this build uses.
const GzipDecoder = "ISA-L igzip (cgo, build tag isal)"

// gzipReadsMemory: ISA-L reads its input through a bufio.Reader, so
// NewReader gives it one even over memory.
const gzipReadsMemory = false

// isalReader decodes a multi-member gzip stream with ISA-L's inflate.
// Member headers are parsed in Go by the pure-Go build's rules
// (readGzipHeader); ISA-L decodes the deflate data and checks each
// member's trailer. TestIsalMatchesPureGo and FuzzIsalMatchesPureGo hold
// both builds to the same output, the same failures and the same end.
// Input comes from br by Peek and Discard, so no byte past the last
// member is consumed.
type isalReader struct {
	br    *bufio.Reader
	state *C.struct_inflate_state
	err   error
}

// NewGzipReader decodes a gzip stream of one or more members with this
// build's decoder (see [GzipDecoder]). Nothing past the last member is
// consumed from br; bytes there that do not start a member are an error.
func NewGzipReader(br *bufio.Reader) (io.ReadCloser, error) {
	if err := readGzipHeader(br); err != nil {
		return nil, err
	}
	state := C.td_new()
	if state == nil {
		return nil, errors.New("gzip: cannot allocate the ISA-L inflate state")
	}
	return &isalReader{br: br, state: state}, nil
}

func (z *isalReader) Read(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if len(p) > 1<<30 {
		p = p[:1<<30]
	}
	for {
		// At the end of the input ISA-L may still hold output (a match
		// cut short by a full p): it is asked once more with no input.
		in, err := z.input()
		if err != nil && err != io.EOF {
			z.err = err
			return 0, z.err
		}
		var consumed, produced C.uint32_t
		var finished C.int
		ret := C.td_inflate(z.state, (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(in))), C.uint32_t(len(in)),
			(*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(p))), C.uint32_t(len(p)),
			&consumed, &produced, &finished)
		z.br.Discard(int(consumed))
		n := int(produced)
		if ret != C.ISAL_DECOMP_OK {
			z.err = isalError(ret)
			return n, z.err
		}
		if finished != 0 {
			z.err = z.endMember()
			if z.err == io.EOF && n > 0 {
				return n, nil
			}
			if z.err != nil {
				return n, z.err
			}
		}
		if n > 0 {
			return n, nil
		}
		if consumed == 0 && finished == 0 {
			// ISA-L buffers partial input itself, so a step that takes
			// none and gives none cannot make progress.
			z.err = errors.New("gzip: inflate made no progress")
			if len(in) == 0 {
				z.err = io.ErrUnexpectedEOF
			}
			return 0, z.err
		}
	}
}

// input returns the bytes buffered in br, filling it if it is empty;
// io.EOF with none left.
func (z *isalReader) input() ([]byte, error) {
	if z.br.Buffered() == 0 {
		if _, err := z.br.Peek(1); err != nil {
			return nil, err
		}
	}
	return z.br.Peek(min(z.br.Buffered(), 1<<30))
}

// endMember reads the header of the member after the one ISA-L just
// finished (and checked the trailer of): io.EOF when there is none.
func (z *isalReader) endMember() error {
	if err := readGzipHeader(z.br); err != nil {
		return err // io.EOF: a clean end after a whole member
	}
	C.td_reset(z.state)
	return nil
}

// Close frees the C state. It is safe to call more than once.
func (z *isalReader) Close() error {
	if z.state != nil {
		C.free(unsafe.Pointer(z.state))
		z.state = nil
	}
	if z.err == nil {
		z.err = errors.New("gzip: read after Close")
	}
	return nil
}

func isalError(ret C.int) error {
	switch ret {
	case C.ISAL_INVALID_BLOCK:
		return errors.New("gzip: invalid deflate block")
	case C.ISAL_INVALID_SYMBOL:
		return errors.New("gzip: invalid deflate symbol")
	case C.ISAL_INVALID_LOOKBACK:
		return errors.New("gzip: deflate distance too far back")
	case C.ISAL_INCORRECT_CHECKSUM:
		return errGzipChecksum
	case C.ISAL_NEED_DICT:
		return errors.New("gzip: deflate stream needs a dictionary")
	default:
		return fmt.Errorf("gzip: ISA-L inflate error %d", int(ret))
	}
}
