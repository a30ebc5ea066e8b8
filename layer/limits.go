package layer

import (
	"fmt"
	"sync/atomic"

	"github.com/tardigest/tardigest/internal/count"
)

// Defaults for Limits, measured rather than guessed. Expansion ratios
// (uncompressed bytes per stored byte) of real and distro-like layers:
//
//	content                                   gzip -6   zstd -3  zstd -19   bzip2 -9      xz -6
//	41 compressed blobs of fixtures/real       1.9-62       3.0         -          -          -
//	  (over 100 kB: 1.9-2.2; the rest are tiny, under RatioFloorBytes)
//	bench image layers (bench/run.sh)         1.0-9.1   1.0-9.2         -          -          -
//	/usr/bin, /usr/share/{doc,man}, /etc          2.2       2.5       2.9        2.4        3.0
//	/etc and a 1 GiB zero-filled lastlog          652      1705      1849       1777       1556
//	1 GiB of zeros                               1030     31880     32530    1367773       6665
//
// gzip cannot expand more than about 1032 times. DefaultMaxExpansionRatio
// sits above that, so no gzip layer is ever refused by the ratio, and a
// zstd or xz layer (counted 2 and 13 times, see decodeCost) only when it
// is mostly zeros: a layer of gigabytes of near-zeros in a few kilobytes
// is refused after RatioFloorBytes of work, in well under a second. bzip2
// counts 100 times (its decoder can take 84 ns per byte), so a bzip2
// layer may expand 11 times: real ones do 2 to 5 (docker never writes
// bzip2 layers). The bound is work: any archive costs at most about 1.1 GB of
// gzip-equivalent output per MB stored, about a second of CPU per MB on
// this project's 2-core test machine (a 10 MB archive: 10 s), whatever
// its compressions. A zstd, bzip2 or xz layer that is mostly a
// zero-filled file, such as the lastlog layer above, needs
// --max-expansion-ratio raised: to the ratio times the cost (4000 for
// the zstd one).
const (
	DefaultMaxUncompressedBytes int64  = 1 << 40 // 1 TiB
	DefaultMaxExpansionRatio    int64  = 1100
	DefaultMaxWindowBytes       uint64 = 128 << 20 // zstd --long=27, --ultra -22; xz's largest preset needs 64 MiB
	// DefaultMaxZstdWindowBytes is DefaultMaxWindowBytes under its old
	// name, which tardigest's --max-zstd-window-bytes flag still uses.
	//
	// Deprecated: use DefaultMaxWindowBytes.
	DefaultMaxZstdWindowBytes = DefaultMaxWindowBytes
	// RatioFloorBytes is the amount of work (decompressed bytes, see
	// Limits.MaxExpansionRatio) below which the expansion ratio is not
	// enforced: tiny blobs (an empty tar compresses 32 times) would
	// otherwise trip it.
	RatioFloorBytes int64 = 64 << 20
)

// Limits bounds the work Compute and Reader do on one blob. Zero fields
// take the defaults above.
type Limits struct {
	// MaxUncompressedBytes caps the decompressed size of one blob.
	MaxUncompressedBytes int64
	// MaxExpansionRatio caps the work of decompression per stored byte,
	// once more than RatioFloorBytes of work has been done. Work is
	// counted in gzip-equivalent bytes: a decompressed byte counts 1 for
	// gzip, 2 for zstd, 100 for bzip2 and 13 for xz (their decoders'
	// worst-case CPU time per byte), and a byte the decoder allocates for
	// its windows or state a sixth. For gzip this is the plain expansion
	// ratio; zstd may then expand half as much, bzip2 a hundredth, xz a
	// thirteenth.
	MaxExpansionRatio int64
	// MaxWindowBytes caps the history a decoder must keep, and so its
	// memory: the window a zstd frame asks for, the dictionary of an xz
	// block. gzip's window is 32 KiB and bzip2's block 900 kB at most.
	MaxWindowBytes uint64
	// MaxZstdWindowBytes is MaxWindowBytes under its old name. It is
	// used when MaxWindowBytes is zero.
	//
	// Deprecated: use MaxWindowBytes.
	MaxZstdWindowBytes uint64
}

// CheckExpansion returns an ErrLimit error when out decompressed bytes
// from in stored bytes, in compression comp, exceed the uncompressed size
// or the expansion ratio. Zero fields take the defaults. A Reader checks
// this (and more) by itself.
func (l Limits) CheckExpansion(comp Compression, out, in int64) error {
	l = l.withDefaults()
	if out > l.MaxUncompressedBytes {
		return l.sizeError(comp)
	}
	if work := out * decodeCost(comp); work > RatioFloorBytes && work/l.MaxExpansionRatio > in {
		return l.ratioError(comp)
	}
	return nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxUncompressedBytes <= 0 {
		l.MaxUncompressedBytes = DefaultMaxUncompressedBytes
	}
	if l.MaxExpansionRatio <= 0 {
		l.MaxExpansionRatio = DefaultMaxExpansionRatio
	}
	if l.MaxWindowBytes == 0 {
		l.MaxWindowBytes = l.MaxZstdWindowBytes
	}
	if l.MaxWindowBytes == 0 {
		l.MaxWindowBytes = DefaultMaxWindowBytes
	}
	l.MaxZstdWindowBytes = l.MaxWindowBytes
	return l
}

func (l Limits) sizeError(comp Compression) error {
	return fmt.Errorf("%w: %s: uncompressed size over %d bytes (the max-uncompressed-bytes limit)", ErrLimit, comp, l.MaxUncompressedBytes)
}

func (l Limits) ratioError(comp Compression) error {
	if c := decodeCost(comp); c > 1 {
		return fmt.Errorf("%w: %s: expands more than %d times (the max-expansion-ratio limit: %d, divided by %d for %s, whose decoding costs up to %d times gzip's per byte)",
			ErrLimit, comp, l.MaxExpansionRatio/c, l.MaxExpansionRatio, c, comp, c)
	}
	return fmt.Errorf("%w: %s: expands more than %d times (the max-expansion-ratio limit)", ErrLimit, comp, l.MaxExpansionRatio)
}

func (l Limits) windowError(comp Compression, what string, size uint64) error {
	return fmt.Errorf("%w: %s: %s %d bytes, over %d (the max-window-bytes limit)", ErrLimit, comp, what, size, l.MaxWindowBytes)
}

// decodeCost is the work of one decompressed byte in gzip-equivalent
// bytes: the CPU time per output byte of each decoder, hashing included,
// on the inputs that cost it most per byte a bomb can make it yield,
// rounded up. On 1 GiB of zeros (the cheapest bombs to store): gzip 0.88
// ns, zstd 1.5 to 1.8 ns, xz (ulikunitz's LZMA) 11.5 ns per byte. bzip2 is
// cheap on zeros (5.1 ns) but its inverse Burrows-Wheeler transform
// misses the cache on every byte of a random two-letter text repeated
// with a period of 20 000 to 40 000 bytes: 67 to 84 ns per byte, at
// ratios of 45 to 80 (5 microseconds per stored byte; real layers are
// 66 ns per byte at 2.4).
func decodeCost(comp Compression) int64 {
	switch comp {
	case Zstd:
		return 2
	case Bzip2:
		return 100
	case Xz:
		return 13
	}
	return 1
}

// allocDiscount: a byte a decoder allocates (and the runtime zeroes, 0.14
// ns) costs about a sixth of a gzip-equivalent byte.
const allocDiscount = 6

// Budget is the decompression budget of one archive, shared by the
// decoders of all its blobs, which may run concurrently. The expansion
// ratio of Limits then holds for the archive as a whole too: without it,
// each of thousands of tiny blobs could expand to just under
// RatioFloorBytes.
//
// Stored bytes are counted once: by a Reader given the Budget (the
// archive's own stream, compressed or not), else by each Compute.
// Decompressed bytes are counted by every decoder.
type Budget struct {
	lim      Limits
	stored   atomic.Int64
	out      atomic.Int64
	work     atomic.Int64
	byReader atomic.Bool
	over     atomic.Bool
}

// NewBudget returns an empty Budget enforcing lim's expansion ratio on
// the totals. Zero fields take the defaults.
func NewBudget(lim Limits) *Budget {
	return &Budget{lim: lim.withDefaults()}
}

// Stored is the number of stored bytes counted so far.
func (b *Budget) Stored() int64 { return b.stored.Load() }

// Decompressed is the number of decompressed bytes counted so far.
func (b *Budget) Decompressed() int64 { return b.out.Load() }

// charge adds to the totals and checks them. Once over, it stays over.
func (b *Budget) charge(stored, out, work int64) error {
	s := b.stored.Add(stored)
	b.out.Add(out)
	w := b.work.Add(work)
	if b.over.Load() || (w > RatioFloorBytes && w/b.lim.MaxExpansionRatio > s) {
		b.over.Store(true)
		return fmt.Errorf("%w: archive: decompressing its blobs takes more than %d times its stored size in all, in gzip-equivalent bytes (the max-expansion-ratio limit holds for the whole archive too)",
			ErrLimit, b.lim.MaxExpansionRatio)
	}
	return nil
}

// meter enforces Limits and a Budget on one decoded stream. It runs on
// the goroutine that reads the stream.
type meter struct {
	lim    Limits // with defaults
	comp   Compression
	budget *Budget
	in     *count.Reader // the stored bytes consumed so far
	// storedByMe says whether this stream's stored bytes count toward
	// the budget (see Budget).
	storedByMe bool
	charged    int64 // in.N already charged to the budget
	out        int64 // decompressed bytes
	work       int64 // see Limits.MaxExpansionRatio
	setup      int64 // the part of work that yields no output
}

// decoded counts n decompressed bytes.
func (m *meter) decoded(n int) error {
	m.out += int64(n)
	if m.out > m.lim.MaxUncompressedBytes {
		return m.lim.sizeError(m.comp)
	}
	w := int64(n) * decodeCost(m.comp)
	m.work += w
	return m.check(int64(n), w)
}

// allocated counts n bytes the decoder is about to allocate for its
// windows or state.
func (m *meter) allocated(n int64) error {
	return m.spent(n / allocDiscount)
}

// spent counts work that yields no output: setting up decoder state.
func (m *meter) spent(work int64) error {
	m.setup += work
	m.work += work
	return m.check(0, work)
}

// check charges the budget and checks the ratio of this stream.
func (m *meter) check(out, work int64) error {
	if m.budget != nil {
		var stored int64
		if m.storedByMe {
			stored = m.in.N - m.charged
			m.charged = m.in.N
		}
		if err := m.budget.charge(stored, out, work); err != nil {
			return err
		}
	}
	if m.work <= RatioFloorBytes || m.work/m.lim.MaxExpansionRatio <= m.in.N {
		return nil
	}
	if m.setup > m.work-m.setup {
		return fmt.Errorf("%w: %s: decoding does more than %d times as much work as there are stored bytes, most of it setting up decoder windows and state (the max-expansion-ratio limit)",
			ErrLimit, m.comp, m.lim.MaxExpansionRatio)
	}
	return m.lim.ratioError(m.comp)
}

// flush charges the budget with stored bytes not yet charged (those
// after the last decompressed byte, or all of an uncompressed blob's).
func (m *meter) flush() error {
	if m.budget == nil || !m.storedByMe || m.in.N == m.charged {
		return nil
	}
	return m.check(0, 0)
}
