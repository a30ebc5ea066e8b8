package tarball

import (
	"testing"

	"github.com/tardigest/tardigest/layer/tree"
)

// TestContentKinds keeps kinds.go in step with package tree: every kind a
// walk or a merge can report is declared here, with the same name and
// severity, and an error kind has a class (it fails verify).
func TestContentKinds(t *testing.T) {
	all := tree.Kinds()
	if len(all) < 20 {
		t.Fatalf("tree has %d kinds, want at least 20", len(all))
	}
	for _, k := range all {
		kk, ok := contentKinds[k]
		if !ok {
			t.Errorf("tree kind %s is not in kinds.go", k)
			continue
		}
		if kk.Name != string(k) || string(kk.Severity) != string(tree.SeverityOf(k)) {
			t.Errorf("tree kind %s (%s) is %s (%s) here", k, tree.SeverityOf(k), kk.Name, kk.Severity)
		}
		if (kk.Severity == SeverityError) != (kk.Class != nil) {
			t.Errorf("kind %s: severity %s with class %v", kk.Name, kk.Severity, kk.Class)
		}
	}
	if len(contentKinds) != len(all) {
		t.Errorf("kinds.go maps %d content kinds, tree has %d", len(contentKinds), len(all))
	}
}
