package report

import (
	"fmt"
	"strings"

	"github.com/tardigest/tardigest/tarball"
)

// writeContent prints what an image's merged filesystem holds, as fields
// of its header: its OS, its totals and what squashing would save, or
// why they are not known.
func writeContent(f func(label, value, note, explain string), img *tarball.Image) {
	c := img.Content
	if c == nil {
		f("files", "not known: "+whyNoContent(img), "", "")
		return
	}
	f("os", osLine(c), "", "the os-release file the merged filesystem holds, symlinks resolved inside the image")
	parts := []string{fmt.Sprintf("%s (%s)", plural(c.Files, "file"), HumanSize(c.Size))}
	for _, p := range []struct {
		n            int
		one, several string
	}{{c.Dirs, "directory", "directories"}, {c.Symlinks, "symlink", "symlinks"}, {c.Hardlinks, "hard link", "hard links"}, {c.Other, "other", "others"}} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.one)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.several))
		}
	}
	note := ""
	if c.Truncated {
		note = "the max-files limit stopped the merge: the counts cover the part merged"
	}
	f("files", strings.Join(parts, ", "), note, "the merged filesystem: the layers applied in order, whiteouts included (tardigest ls)")
	f("waste", fmt.Sprintf("%s of %s in files hidden by later layers", HumanSize(c.Waste.Reclaimable), HumanSize(c.Waste.Stored)),
		"what squashing saves", "bytes stored in a layer that a later layer overwrote or deleted (tardigest waste)")
}

// osLine is the image's OS as its os-release file says it.
func osLine(c *tarball.ImageContent) string {
	os := c.OS
	if os == nil {
		return "unknown: no etc/os-release or usr/lib/os-release"
	}
	where := fmt.Sprintf("%s in layer %d", Escape(os.Path), os.Layer)
	name := os.PrettyName
	if name == "" {
		name = strings.TrimSpace(os.ID + " " + os.VersionID)
	}
	switch {
	case os.Unread != "":
		return fmt.Sprintf("unknown: %s was %s", where, os.Unread)
	case name == "":
		return fmt.Sprintf("unknown: %s names none", where)
	}
	return fmt.Sprintf("%s (%s)", Escape(name), where)
}

// whyNoContent says why an image's files are not known: the first layer
// that was not read in full.
func whyNoContent(img *tarball.Image) string {
	for j, l := range img.Layers {
		switch {
		case !l.Present:
			return fmt.Sprintf("layer %d is not in the archive", j)
		case l.DiffID == "":
			return fmt.Sprintf("layer %d does not decompress", j)
		case l.Content == nil:
			return fmt.Sprintf("layer %d is not a layer tar", j)
		case l.Content.Truncated:
			return fmt.Sprintf("layer %d was not read in full (see the findings)", j)
		}
	}
	return "layer contents were not read"
}
