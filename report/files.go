package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/layer/tree"
)

// FileRow is one line of ls: a path of an image's merged filesystem, or
// an entry of one layer (whiteouts included), as tar -tv lists it, with
// the layer that wrote it.
type FileRow struct {
	// Path is relative to the image root, without a leading slash; for a
	// layer's whiteout, its .wh. name as stored.
	Path string    `json:"path"`
	Type tree.Type `json:"type"`
	// Mode holds the permission, setuid, setgid and sticky bits.
	Mode    uint32 `json:"mode"`
	UID     uint32 `json:"uid"`
	GID     uint32 `json:"gid"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"`
	// Link is a symlink's target or the name a hard link links to, as
	// stored.
	Link string `json:"link,omitempty"`
	// Digest is the sha256 of a regular file's bytes, when files were
	// hashed.
	Digest digest.Digest `json:"digest,omitempty"`
	// Layer is the position in the image of the layer that wrote the
	// path (for a directory only implied by the paths under it, the
	// layer that implied it first); Index is the entry's position in
	// that layer's tar, absent for an implied directory.
	Layer int  `json:"layer"`
	Index *int `json:"index,omitempty"`
	// ContentLayer and ContentPath name the entry that holds a hard
	// link's bytes, when it is another one.
	ContentLayer *int   `json:"content_layer,omitempty"`
	ContentPath  string `json:"content_path,omitempty"`
}

// FileRowOf turns an entry into a row. layer >= 0 says it is one
// layer's own entry (tree.Layer.Walk), which does not know its position.
func FileRowOf(e tree.Entry, layer int) FileRow {
	r := FileRow{Path: e.Path, Type: e.Type, Mode: e.Mode, UID: e.UID, GID: e.GID, Size: e.Size, ModTime: e.ModTime,
		Link: e.Linkname, Digest: e.Digest, Layer: e.Layer}
	if layer >= 0 {
		r.Layer = layer
	}
	if e.Index >= 0 {
		r.Index = &e.Index
	}
	if layer < 0 && e.Index >= 0 && (e.ContentLayer != e.Layer || e.ContentIndex != e.Index) {
		r.ContentLayer, r.ContentPath = &e.ContentLayer, e.ContentPath
	}
	return r
}

// FileWalk gives the rows of a listing one at a time to yield, stopping
// at its first error. A listing of a million paths is printed without
// holding a million rows; a FileWalk may be called more than once.
type FileWalk func(yield func(FileRow) error) error

// Rows collects what walk gives.
func Rows(walk FileWalk) ([]FileRow, error) {
	rows := []FileRow{}
	err := walk(func(r FileRow) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

// Files writes the rows walk gives as GNU tar -tv lists an archive (with
// --numeric-owner, times in UTC) under a header line, with the layer that
// wrote each path before it: mode, owner, size, time, layer, path, and
// "-> target" for a symbolic link or "link to NAME" for a hard link. A
// directory's path ends with "/". Names are escaped (see Escape). It
// walks twice: once for the column widths, once to print.
func Files(w io.Writer, walk FileWalk) error {
	ownerW, sizeW, layerW, n := len("OWNER"), len("SIZE"), len("LAYER"), 0
	err := walk(func(r FileRow) error {
		ownerW = max(ownerW, len(owner(r)))
		sizeW = max(sizeW, len(strconv.FormatInt(r.Size, 10)))
		layerW = max(layerW, len(strconv.Itoa(r.Layer)))
		n++
		return nil
	})
	if err != nil || n == 0 {
		return err // as ls prints nothing for an empty directory
	}
	bw := bufio.NewWriterSize(w, 64<<10) // a line per path: no write each
	ew := &errWriter{w: bw}
	ew.printf("%-10s  %-*s  %*s  %-16s  %-*s  %s\n", "MODE", ownerW, "OWNER", sizeW, "SIZE", "MODIFIED (UTC)", layerW, "LAYER", "PATH")
	err = walk(func(r FileRow) error {
		ew.printf("%s  %-*s  %*d  %s  %-*d  %s\n", modeString(r.Type, r.Mode), ownerW, owner(r), sizeW, r.Size,
			time.Unix(r.ModTime, 0).UTC().Format("2006-01-02 15:04"), layerW, r.Layer, describe(r))
		return ew.err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// FilesJSON writes the rows walk gives as one JSON array, indented as
// JSONValue indents it, one row at a time.
func FilesJSON(w io.Writer, walk FileWalk) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetIndent("  ", "  ")
	enc.SetEscapeHTML(false)
	sep := "[\n  "
	err := walk(func(r FileRow) error {
		one.Reset()
		if err := enc.Encode(r); err != nil {
			return err
		}
		bw.WriteString(sep)
		bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
		sep = ",\n  "
		return nil
	})
	if err != nil {
		return err
	}
	if sep == "[\n  " {
		bw.WriteString("[]\n")
	} else {
		bw.WriteString("\n]\n")
	}
	return bw.Flush()
}

func owner(r FileRow) string { return fmt.Sprintf("%d/%d", r.UID, r.GID) }

// describe is the path column: the name, and what a link points to or
// what a whiteout deletes.
func describe(r FileRow) string {
	p := Escape(r.Path)
	switch r.Type {
	case tree.TypeDir:
		return p + "/"
	case tree.TypeSymlink:
		return p + " -> " + Escape(r.Link)
	case tree.TypeHardlink:
		return p + " link to " + Escape(r.Link)
	case tree.TypeWhiteout:
		return p + "  (whiteout: deletes " + Escape(whiteoutTarget(r.Path)) + ")"
	case tree.TypeOpaque:
		return p + "  (opaque: hides what lower layers put in " + Escape(dirOf(r.Path)) + "/)"
	}
	if r.ContentPath != "" && r.ContentLayer != nil {
		return fmt.Sprintf("%s  (hard link: bytes of %s in layer %d)", p, Escape(r.ContentPath), *r.ContentLayer)
	}
	return p
}

func whiteoutTarget(p string) string {
	dir, base := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, base = p[:i+1], p[i+1:]
	}
	return dir + strings.TrimPrefix(base, ".wh.")
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

// modeString formats a type and mode as ls -l and tar -tv do:
// "drwxr-xr-x", "-rwsr-xr-x", "lrwxrwxrwx"; a hard link is "h", as in
// GNU tar, and whiteouts are regular files.
func modeString(t tree.Type, mode uint32) string {
	typ := map[tree.Type]byte{tree.TypeDir: 'd', tree.TypeSymlink: 'l', tree.TypeHardlink: 'h', tree.TypeChar: 'c',
		tree.TypeBlock: 'b', tree.TypeFIFO: 'p', tree.TypeOther: '?'}[t]
	if typ == 0 {
		typ = '-'
	}
	b := []byte{typ, 'r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'}
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if mode&bit != 0 {
			if b[at] == '-' {
				b[at] = unset
			} else {
				b[at] = set
			}
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b)
}
