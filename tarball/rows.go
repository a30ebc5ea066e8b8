package tarball

import "fmt"

// MaxLayersPerImage caps the layers of one image. docker refuses an image
// of more than 125 layers (its layer store's depth), and overlayfs
// mounts run out far below this; an image listing more is refused as over
// a limit, and no row is made for its layers.
const MaxLayersPerImage = 1024

// rowBudget is how many layer and history rows the images of an archive
// may have in all: twice max-entries. Rows are what memory and every
// output grow with once the blobs are read; a history shared by many
// images (one config) is kept once, and counted once per image.
func (a *analysis) rowBudget() int { return 2 * a.opts.Limits.MaxEntries }

// spendRows counts n more layer or history rows for image i and says
// whether they fit the archive's budget and the image's cap; when not, a
// finding says which limit, once.
func (a *analysis) spendRows(n int, layers bool, subject string, i int) bool {
	if layers && n > MaxLayersPerImage {
		a.add(kindTooManyRows, subject, i, "%d layers, over the %d layers an image may have", n, MaxLayersPerImage)
		return false
	}
	if a.rows += n; a.rows <= a.rowBudget() {
		return true
	}
	if !a.rowsOver {
		a.rowsOver = true
		a.add(kindTooManyRows, subject, i, "the images list more than %d layers and history entries in all (twice the max-entries limit)", a.rowBudget())
	}
	return false
}

// parsedConfig is a config read once, however many images name it.
type parsedConfig struct {
	cfg *imageConfig
	err error
	// history is the config's history as rows, by the number of layers
	// of the images that share it.
	history map[int][]History
}

// config parses the config entry e once: a config that many
// manifest.json entries name is decoded one time, not once per entry.
func (a *analysis) config(e *entry) (*imageConfig, error) {
	if pc := a.configs[e]; pc != nil {
		return pc.cfg, pc.err
	}
	pc := &parsedConfig{history: map[int][]History{}}
	a.configs[e] = pc
	_, data, err := a.document(e.name)
	if err != nil {
		pc.err = err
		return nil, err
	}
	var cfg imageConfig
	if err := decodeStrict(data, &cfg); err != nil {
		pc.err = fmt.Errorf("%s: %w", e.name, err)
		return nil, pc.err
	}
	if err := dockerTypesErr(data); err != nil {
		pc.err = fmt.Errorf("%s: %w", e.name, err)
		return nil, pc.err
	}
	pc.cfg = &cfg
	return pc.cfg, nil
}

// history ties each non-empty history entry to its layer, in order. The
// rows are made once per config and layer count, and shared by the
// images that have both. More non-empty entries than diffIDs is what
// docker load refuses ("too many non-empty layers in History section");
// another count than the layers is odd but loads.
func (a *analysis) history(i int, img *Image, e *entry, cfg *imageConfig, diffIDs int) {
	// Every image's rows count against the budget, shared or not: they
	// cost memory once, but every output prints them once per image.
	if a.spendRows(len(cfg.History), false, fmt.Sprintf("image[%d] config history", i), i) {
		rows, made := a.configs[e].history[len(img.Layers)]
		if !made {
			rows = historyRows(cfg, len(img.Layers))
			a.configs[e].history[len(img.Layers)] = rows
		}
		img.History = rows
	}
	next := 0
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			if next < len(img.Layers) {
				img.Layers[next].CreatedBy = h.CreatedBy
			}
			next++
		}
	}
	switch subject := fmt.Sprintf("image[%d] config history", i); {
	case next > diffIDs:
		a.add(kindHistoryTooLong, subject, i, "%d history entries make a layer, rootfs.diff_ids lists %d: docker load refuses the image (too many non-empty layers in History section)", next, diffIDs)
	case len(cfg.History) > 0 && next != len(img.Layers):
		a.add(kindHistoryMismatch, subject, i, "%d history entries make a layer, the image has %d layers", next, len(img.Layers))
	}
}

// historyRows are the rows of a config's history for an image of n
// layers: each non-empty entry points at its layer, while there is one.
func historyRows(cfg *imageConfig, n int) []History {
	rows := make([]History, 0, len(cfg.History))
	next := 0
	for _, h := range cfg.History {
		r := History{Created: h.Created, CreatedBy: h.CreatedBy, Comment: h.Comment, EmptyLayer: h.EmptyLayer}
		if !h.EmptyLayer {
			if next < n {
				r.Layer = position(next)
			}
			next++
		}
		rows = append(rows, r)
	}
	return rows
}
