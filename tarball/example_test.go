package tarball_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tardigest/tardigest/tarball"
)

// Open reads an archive (a docker save tar, an OCI layout directory or
// tar, possibly compressed as a whole) and checks every
// claim it makes. Open fails only when the archive cannot be read at all;
// every false claim is a Finding, and Result.Err joins those that fail
// verification.
func Example() {
	res, err := tarball.Open(context.Background(), "../testdata/archives/docker-archive.tar", tarball.Options{})
	if err != nil {
		fmt.Println("unreadable:", err)
		return
	}
	for _, img := range res.Images {
		fmt.Println(img.Name(), img.ImageID)
		for _, l := range img.Layers {
			fmt.Println("  layer", l.DiffID, l.UncompressedSize)
		}
	}
	switch err := res.Err(-1); {
	case err == nil:
		fmt.Println("verified")
	case errors.Is(err, tarball.ErrMismatch):
		fmt.Println("tampered:", err)
	default:
		fmt.Println("failed:", err)
	}
	// Output:
	// docker.io/tardigest/fixture:v1 sha256:9b45641ae214fa38c3c4d7b5726184de301990e69756e916f3906934f8267bf0
	//   layer sha256:19dc8cfbfd9919f292e47f5aef8a7a8cb49a0291e050e7e3801fe4b30544ee29 5120
	//   layer sha256:54128041cf97e71c9177211d4f0616a9fec5e66553fdd1e539fb4dcb57ab59f9 6656
	//   layer sha256:80c74642829347e7a14dae75411244e6c9ece6ca7b811cc856c75ec382ae1039 10240
	// verified
}
