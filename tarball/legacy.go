package tarball

import (
	"fmt"
	"regexp"
	"sort"
)

var (
	reV1ID    = regexp.MustCompile(`^[a-f0-9]{64}$`)
	reV1Layer = regexp.MustCompile(`^[a-f0-9]{64}\.tar$`)
)

// readV1 reads an archive written by docker save before Docker 1.10: a
// repositories file naming the top layer of each tag, and a parent chain
// of <id>/json documents. There is no config and no manifest, so nothing
// in the archive claims a digest: layers are hashed and reported, and
// nothing can be verified.
func (a *analysis) readV1() {
	_, data, err := a.document("repositories")
	if err != nil {
		a.add(kindInvalidJSON.causedBy(err), "repositories", -1, "%v", err)
		return
	}
	var repos map[string]map[string]string
	if err := decodeStrict(data, &repos); err != nil {
		a.add(kindInvalidJSON.causedBy(err), "repositories", -1, "%v", err)
		return
	}
	byTop := map[string]*Image{}
	var names []string
	for repo := range repos {
		names = append(names, repo)
	}
	sort.Strings(names)
	for _, repo := range names {
		tags := make([]string, 0, len(repos[repo]))
		for t := range repos[repo] {
			tags = append(tags, t)
		}
		sort.Strings(tags)
		for _, tag := range tags {
			top := repos[repo][tag]
			img, ok := byTop[top]
			if !ok {
				img = a.v1Image(top)
				if img == nil {
					continue
				}
				byTop[top] = img
			}
			a.addName(img, repoTags, repo+":"+tag)
		}
	}
	if len(byTop) > 0 {
		a.add(kindUnverifiable, "archive", -1,
			"written by docker save before Docker 1.10: no config and no manifest, so no digest is claimed anywhere; layers are hashed but nothing can be verified")
	}
}

func (a *analysis) v1Image(top string) *Image {
	if !reV1ID.MatchString(top) {
		a.add(kindBadV1ID, "repositories", -1, "layer ID %q is not 64 hex characters", top)
		return nil
	}
	var chain []string
	seen := map[string]bool{}
	for id := top; id != ""; id = a.v1Parent(id) {
		if seen[id] {
			a.add(kindV1ChainLoop, id+"/json", -1, "parent chain loops")
			return nil
		}
		if len(chain) == MaxLayersPerImage {
			a.spendRows(MaxLayersPerImage+1, true, "repositories", -1)
			return nil
		}
		seen[id] = true
		chain = append(chain, id)
	}
	i, img := a.newImage("repositories")
	if !a.spendRows(len(chain), true, fmt.Sprintf("image[%d]", i), i) {
		return img
	}
	for k := len(chain) - 1; k >= 0; k-- {
		id := chain[k]
		img.V1Chain = append(img.V1Chain, id)
		l := Layer{Path: id + "/layer.tar"}
		e, via, err := a.cat.lookup(l.Path)
		if err != nil {
			a.add(kindMissingBlob.causedBy(err), fmt.Sprintf("image[%d] layer[%d]", i, len(img.Layers)), i, "%v", err)
		} else {
			a.referenced[e.name] = true
			l.LinkTarget = via
			a.fillLayer(&l, e)
		}
		img.Layers = append(img.Layers, l)
	}
	return img
}

// v1Parent returns the parent of legacy layer id, "" at the base or
// where the chain breaks. Each <id>/json is read once, and what is wrong
// with it said once, however many tags reach it: many tags on one long
// chain cost one walk of it per tag, not one read.
func (a *analysis) v1Parent(id string) string {
	if p, ok := a.v1Parents[id]; ok {
		return p
	}
	a.v1Parents[id] = ""
	_, data, err := a.document(id + "/json")
	if err != nil {
		a.add(kindMissingBlob.causedBy(err), id+"/json", -1, "%v", err)
		return ""
	}
	var v v1JSON
	if err := decodeStrict(data, &v); err != nil {
		a.add(kindInvalidJSON.causedBy(err), id+"/json", -1, "%v", err)
		return ""
	}
	if v.Parent != "" && !reV1ID.MatchString(v.Parent) {
		a.add(kindBadV1ID, id+"/json", -1, "parent %q is not 64 hex characters", v.Parent)
		return ""
	}
	a.v1Parents[id] = v.Parent
	return v.Parent
}
