package compare

import (
	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/tarball"
)

// Layer statuses.
const (
	// LayerSame: the same content stored as the same bytes on both sides.
	LayerSame = "same"
	// LayerRecompressed: the same content (diffID) stored differently
	// (another compression, or the same one with other settings).
	LayerRecompressed = "recompressed"
	// LayerOnlyA and LayerOnlyB: content only one side holds.
	LayerOnlyA = "only_a"
	LayerOnlyB = "only_b"
)

// Layers is how the two images' layers match, by diffID.
type Layers struct {
	// Rows are B's layers in order, each with the layer of A holding the
	// same content, then A's layers B lacks.
	Rows []LayerRow `json:"rows"`
	// SharedPrefix is the number of layers, from the base, that hold the
	// same content at the same positions on both sides; FirstDiffer is
	// that position when the layer lists differ there (the first layer a
	// rebuild invalidated), -1 when one list is all of the other.
	SharedPrefix int `json:"shared_prefix"`
	FirstDiffer  int `json:"first_differ"`
	// Counts of rows by status, and of shared layers not at the same
	// position.
	Same         int `json:"same"`
	Recompressed int `json:"recompressed"`
	OnlyA        int `json:"only_a"`
	OnlyB        int `json:"only_b"`
	Moved        int `json:"moved"`
	// SharedBytes are the stored bytes of B's layers whose content A
	// holds; NewBytes of B's layers A lacks; RemovedBytes of A's layers B
	// lacks.
	SharedBytes  int64 `json:"shared_bytes"`
	NewBytes     int64 `json:"new_bytes"`
	RemovedBytes int64 `json:"removed_bytes"`
}

// LayerRow is one layer's content and where each side holds it.
type LayerRow struct {
	// DiffID is the computed digest of the uncompressed content; empty
	// when the layer could not be read, and then it matches nothing.
	DiffID digest.Digest `json:"diff_id,omitempty"`
	Status string        `json:"status"`
	A      *LayerSide    `json:"a,omitempty"`
	B      *LayerSide    `json:"b,omitempty"`
}

// LayerSide is a layer as one side stores it.
type LayerSide struct {
	Index            int               `json:"index"`
	Digest           digest.Digest     `json:"digest,omitempty"`
	Size             int64             `json:"size"`
	Compression      layer.Compression `json:"compression,omitempty"`
	UncompressedSize int64             `json:"uncompressed_size"`
	CreatedBy        string            `json:"created_by,omitempty"`
}

// matchLayers matches the layers of a and b by diffID. A diffID that
// occurs several times on a side (empty layers) matches occurrence by
// occurrence, in order.
func matchLayers(a, b []tarball.Layer) Layers {
	ls := Layers{Rows: []LayerRow{}}
	for ls.SharedPrefix < min(len(a), len(b)) && a[ls.SharedPrefix].DiffID != "" && a[ls.SharedPrefix].DiffID == b[ls.SharedPrefix].DiffID {
		ls.SharedPrefix++
	}
	ls.FirstDiffer = ls.SharedPrefix
	if ls.SharedPrefix == min(len(a), len(b)) {
		ls.FirstDiffer = -1
	}
	inA := map[digest.Digest][]int{}
	for i, l := range a {
		if l.DiffID != "" {
			inA[l.DiffID] = append(inA[l.DiffID], i)
		}
	}
	usedA := make([]bool, len(a))
	for j, l := range b {
		row := LayerRow{DiffID: l.DiffID, B: side(j, l)}
		if at := inA[l.DiffID]; len(at) > 0 && l.DiffID != "" {
			i := at[0]
			inA[l.DiffID] = at[1:]
			usedA[i] = true
			row.A = side(i, a[i])
			row.Status = LayerRecompressed
			if a[i].Digest == l.Digest {
				row.Status = LayerSame
				ls.Same++
			} else {
				ls.Recompressed++
			}
			if i != j {
				ls.Moved++
			}
			ls.SharedBytes += l.Size
		} else {
			row.Status = LayerOnlyB
			ls.OnlyB++
			ls.NewBytes += l.Size
		}
		ls.Rows = append(ls.Rows, row)
	}
	for i, l := range a {
		if !usedA[i] {
			ls.Rows = append(ls.Rows, LayerRow{DiffID: l.DiffID, Status: LayerOnlyA, A: side(i, l)})
			ls.OnlyA++
			ls.RemovedBytes += l.Size
		}
	}
	return ls
}

func side(i int, l tarball.Layer) *LayerSide {
	return &LayerSide{Index: i, Digest: l.Digest, Size: l.Size, Compression: l.Compression, UncompressedSize: l.UncompressedSize, CreatedBy: l.CreatedBy}
}
