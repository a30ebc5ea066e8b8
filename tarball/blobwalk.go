package tarball

import (
	"github.com/tardigest/tardigest/layer"
	"github.com/tardigest/tardigest/layer/tree"
)

// A blob's role is known only once the metadata is read, after every blob
// went by (see doc.go), so every regular entry is walked as if it were a
// layer: the tar walker of package layer/tree reads the bytes the diffID
// is computed from, in the same pass. For a blob that is no tar (a config,
// a manifest) it stops at the first header block, which costs nothing;
// the analysis keeps the walks of the blobs that are layers.

// contentWalker returns the walker that reads what a blob holds, or nil
// when contents are not read.
func (o *Options) contentWalker() *tree.Walker {
	if o.Content.Skip {
		return nil
	}
	return tree.NewWalker(o.treeOptions())
}

// treeOptions are the options of every walk and merge of one read.
func (o *Options) treeOptions() tree.Options {
	return tree.Options{
		HashFiles: o.Content.HashFiles,
		Limits:    tree.Limits{MaxEntries: o.Limits.MaxFiles, MaxFiles: o.Limits.MaxFiles},
		Budget:    o.files,
	}
}

// walkInto makes lopts give the bytes of e's diffID to a new walker, and
// returns the function that stores what the walker found in e once the
// blob is computed.
func (o *Options) walkInto(e *entry, lopts *layer.Options) (done func()) {
	w := o.contentWalker()
	if w == nil {
		return func() {}
	}
	lopts.Content = w
	return func() { e.content = w.Finish() }
}
