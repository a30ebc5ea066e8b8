package layer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/tardigest/tardigest/layer"
)

func ExampleCompute() {
	// The gzip of an empty tar (1024 zero bytes), as Go's compress/gzip
	// writes it at the default level: the empty layer many builders emit.
	blob := []byte{
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x62, 0x18, 0x05, 0xa3, 0x60, 0x14,
		0x8c, 0x58, 0x00, 0x08, 0x00, 0x00, 0xff, 0xff, 0x2e, 0xaf, 0xb5, 0xef, 0x00, 0x04, 0x00, 0x00,
	}
	res, err := layer.Compute(context.Background(), bytes.NewReader(blob), layer.Options{})
	if err != nil {
		fmt.Println("read:", err) // only a failing reader or a done context
		return
	}
	if res.DiffIDErr != nil {
		fmt.Println("no diff_id:", res.DiffIDErr) // corrupt or over a limit
	}
	fmt.Println("compression:      ", res.Compression)
	fmt.Println("digest:           ", res.Digest)
	fmt.Println("size:             ", res.Size)
	fmt.Println("diff_id:          ", res.DiffID)
	fmt.Println("uncompressed_size:", res.UncompressedSize)
	// Output:
	// compression:       gzip
	// digest:            sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1
	// size:              32
	// diff_id:           sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef
	// uncompressed_size: 1024
}

func ExampleNewReader() {
	// An archive compressed as a whole (here the gzip of an empty tar):
	// NewReader detects the compression and yields the tar stream. With
	// a Budget, the blobs inside, hashed with the same Budget, share the
	// archive's expansion ratio.
	archive := []byte{
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x62, 0x18, 0x05, 0xa3, 0x60, 0x14,
		0x8c, 0x58, 0x00, 0x08, 0x00, 0x00, 0xff, 0xff, 0x2e, 0xaf, 0xb5, 0xef, 0x00, 0x04, 0x00, 0x00,
	}
	budget := layer.NewBudget(layer.Limits{})
	zr, err := layer.NewReader(bytes.NewReader(archive), layer.Limits{}, budget)
	if err != nil {
		fmt.Println("open:", err) // a read error, or a header that does not decode
		return
	}
	defer zr.Close()
	tar, err := io.ReadAll(zr)
	if err != nil {
		fmt.Println("read:", err) // classed: errors.Is ErrCorrupt, ErrLimit or ErrUnsupported
		return
	}
	fmt.Println("compression:", zr.Compression())
	fmt.Println("tar bytes:  ", len(tar))
	fmt.Println("stored:     ", budget.Stored())
	// Output:
	// compression: gzip
	// tar bytes:   1024
	// stored:      32
}
