package tree

import (
	"archive/tar"
	"strings"
)

func (o *oracle) applyLayer() {
	opaqueDone := map[string]bool{}
	entries := o.layers[o.li]
	ch := &o.changes[o.li]
	for i, e := range entries {
		comps := oclean(e.name)
		if len(comps) == 0 {
			if e.typ == tar.TypeDir {
				o.fs[""] = &onode{typ: tar.TypeDir, layer: o.li, index: i, clayer: o.li, cindex: i}
			}
			continue
		}
		base := comps[len(comps)-1]
		switch {
		case base == ".wh..wh..opq":
			ch.Whiteouts++
			if dir, ok := o.mkdirs(comps[:len(comps)-1]); ok && !opaqueDone[dir] {
				opaqueDone[dir] = true
				o.hide(dir)
			}
			continue
		case strings.HasPrefix(base, ".wh..wh."):
			continue
		case strings.HasPrefix(base, ".wh."):
			ch.Whiteouts++
			t := base[4:]
			if t == "" || t == "." || t == ".." {
				continue
			}
			dir, ok := o.mkdirs(comps[:len(comps)-1])
			if !ok {
				continue
			}
			if _, ok := o.fs[ojoin(dir, t)]; !ok {
				o.find(KindWhiteoutNothing, strings.Join(comps, "/"))
				continue
			}
			o.remove(ojoin(dir, t), false)
			continue
		}
		switch e.typ {
		case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		default:
			continue
		}
		o.write(i, e, comps)
	}
}

func (o *oracle) write(i int, e oentry, comps []string) {
	dir, ok := o.mkdirs(comps[:len(comps)-1])
	if !ok {
		return
	}
	p := ojoin(dir, comps[len(comps)-1])
	n := &onode{typ: e.typ, layer: o.li, index: i, link: e.link, size: e.size, clayer: o.li, cindex: i}
	if e.typ == tar.TypeLink {
		tc := oclean(e.link)
		hops := 0
		tdir, ok := "", len(tc) > 0
		if ok {
			tdir, ok = o.resolve("", strings.Join(tc[:len(tc)-1], "/"), true, &hops)
		}
		var t *onode
		if ok && o.isDir(tdir) {
			t = o.fs[ojoin(tdir, tc[len(tc)-1])]
		}
		switch {
		case t == nil:
			o.find(KindHardlinkMissing, strings.Join(comps, "/"))
			return
		case t.typ == tar.TypeDir || t.typ == 0:
			o.find(KindHardlinkDir, strings.Join(comps, "/"))
			return
		}
		n.clayer, n.cindex = t.clayer, t.cindex
	}
	ch := &o.changes[o.li]
	old := o.fs[p]
	isDir := e.typ == tar.TypeDir
	switch {
	case isDir:
	case old == nil:
		ch.Added++
	case old.layer < o.li:
		ch.Changed++
	case old.typ == tar.TypeDir || old.typ == 0:
		ch.Added++
	}
	if old != nil && (old.typ == tar.TypeDir || old.typ == 0) && !isDir {
		o.remove(p, true)
	}
	o.fs[p] = n
}

// hide removes everything under dir that this layer did not write and
// that has nothing this layer wrote below it.
func (o *oracle) hide(dir string) {
	keep := map[string]bool{}
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	for k, n := range o.fs {
		if k == "" || !strings.HasPrefix(k, prefix) || n.layer != o.li {
			continue
		}
		for p := k; p != dir && p != ""; p = oparent(p) {
			keep[p] = true
		}
	}
	for _, k := range o.sortedKeys() {
		n, ok := o.fs[k]
		if !ok || k == "" || k == dir || !strings.HasPrefix(k, prefix) || keep[k] {
			continue
		}
		o.remove(k, false)
		_ = n
	}
}
