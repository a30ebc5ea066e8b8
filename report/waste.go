package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/tardigest/tardigest/layer/tree"
	"github.com/tardigest/tardigest/tarball"
)

// WasteDoc is what waste prints: the exact bytes squashing would save
// and where they are, dive's numbers for the same image, and the
// verdicts of dive's CI rules when they were asked for.
type WasteDoc struct {
	SchemaVersion int    `json:"schema_version"`
	Source        string `json:"source"`
	// Image is the position of the image in the archive.
	Image int        `json:"image"`
	Name  string     `json:"name,omitempty"`
	Waste tree.Waste `json:"waste"`
	// Dive holds dive's numbers (v0.13.1), with its definitions.
	Dive tree.DiveReport `json:"dive"`
	// Rules are dive's CI rules, evaluated; absent when none was asked
	// for. Pass is false when one failed.
	Rules []RuleVerdict `json:"rules,omitempty"`
	Pass  *bool         `json:"pass,omitempty"`
}

// The names of dive's CI rules, as its .dive-ci file spells them.
const (
	RuleLowestEfficiency         = "lowestEfficiency"
	RuleHighestWastedBytes       = "highestWastedBytes"
	RuleHighestUserWastedPercent = "highestUserWastedPercent"
)

// CIRule is one of dive's CI rules as configured: Setting as written
// ("0.9", "20MB", "disabled"), Threshold its value (bytes for
// highestWastedBytes), unused when Disabled.
type CIRule struct {
	Name      string
	Setting   string
	Threshold float64
	Disabled  bool
}

// RuleVerdict is one rule's outcome: "pass", "fail" or "skip" (disabled),
// and dive's message for a failure.
type RuleVerdict struct {
	Rule    string `json:"rule"`
	Setting string `json:"setting"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// BuildWaste assembles the waste report of image i, evaluating rules
// (none: no CI verdicts).
func BuildWaste(img *tarball.Image, i int, src string, rules []CIRule) *WasteDoc {
	doc := &WasteDoc{SchemaVersion: SchemaVersion, Source: src, Image: i, Name: img.Name(), Waste: img.Content.Waste}
	if img.Content.Dive != nil {
		doc.Dive = *img.Content.Dive
	}
	if len(rules) == 0 {
		return doc
	}
	pass := true
	for _, r := range rules {
		v := evaluate(r, doc.Dive)
		pass = pass && v.Status != "fail"
		doc.Rules = append(doc.Rules, v)
	}
	sort.Slice(doc.Rules, func(a, b int) bool { return doc.Rules[a].Rule < doc.Rules[b].Rule })
	doc.Pass = &pass
	return doc
}

// evaluate applies one rule as dive's CI evaluator does, with its
// messages, so that a threshold moved over from dive means the same.
func evaluate(r CIRule, d tree.DiveReport) RuleVerdict {
	v := RuleVerdict{Rule: r.Name, Setting: r.Setting, Status: "pass"}
	switch {
	case r.Disabled:
		v.Status, v.Message = "skip", "rule disabled"
	case r.Name == RuleLowestEfficiency && r.Threshold > d.Efficiency:
		v.Status, v.Message = "fail", fmt.Sprintf("image efficiency is too low (efficiency=%v < threshold=%v)", d.Efficiency, r.Threshold)
	case r.Name == RuleHighestWastedBytes && float64(d.Wasted) > r.Threshold:
		v.Status, v.Message = "fail", fmt.Sprintf("too many bytes wasted (wasted-bytes=%v > threshold=%v)", d.Wasted, uint64(r.Threshold))
	case r.Name == RuleHighestUserWastedPercent && r.Threshold < d.UserWastedPercent:
		v.Status, v.Message = "fail", fmt.Sprintf("too many bytes wasted, relative to the user bytes added (%%-user-wasted-bytes=%v > threshold=%v)", d.UserWastedPercent, r.Threshold)
	}
	return v
}

// Waste writes the report: the reclaimable bytes and the top paths
// holding most of them (all listed when top is 0), then dive's block as
// dive --ci prints it (efficiency, wasted bytes, inefficient files, rule
// results), so the two can be compared line by line.
func Waste(w io.Writer, doc *WasteDoc, top int) error {
	ew := &errWriter{w: w}
	name := doc.Name
	if name == "" {
		name = "<untagged>"
	}
	ws := doc.Waste
	ew.printf("image %d: %s\n", doc.Image, Escape(name))
	ew.printf("reclaimable %s of %s stored in files (%s): hidden by later layers, what squashing saves\n",
		HumanSize(ws.Reclaimable), HumanSize(ws.Stored), percent(ws.Reclaimable, ws.Stored))
	if ws.Truncated {
		ew.printf("(the max-files limit stopped the merge: these numbers cover the part merged)\n")
	}
	paths := ws.Paths
	if top > 0 && len(paths) > top {
		paths = paths[:top]
	}
	if len(paths) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  RECLAIMABLE\tWRITES\tLAYERS\tPATH\n")
		for _, p := range paths {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", HumanSize(p.Reclaimable), len(p.Layers), joinInts(p.Layers), Escape(p.Path))
		}
		tw.Flush()
	}
	if n := len(ws.Paths) - len(paths); n > 0 {
		ew.printf("  (%d more listed with --top 0 or -o json)\n", n)
	}
	d := doc.Dive
	ew.printf("\ndive's numbers (dive v0.13.1 definitions):\n")
	ew.printf("  efficiency: %2.4f %%\n", d.Efficiency*100)
	ew.printf("  wastedBytes: %d bytes (%s)\n", d.Wasted, diveBytes(d.Wasted))
	ew.printf("  userWastedPercent: %2.4f %%\n", d.UserWastedPercent*100)
	ew.printf("Inefficient Files:\n")
	ew.printf("%5s  %12s  %-s\n", "Count", "Wasted Space", "File Path")
	if len(d.InefficientPaths) == 0 {
		ew.printf("None\n")
	}
	for _, p := range d.InefficientPaths {
		ew.printf("%5d  %12s  %-s\n", p.Count, diveBytes(p.Size), Escape(p.Path))
	}
	if n := d.InefficientCount - len(d.InefficientPaths); n > 0 {
		ew.printf("(%d more not listed)\n", n)
	}
	writeRules(ew, doc)
	return ew.err
}

// writeRules prints the rule results as dive does.
func writeRules(ew *errWriter, doc *WasteDoc) {
	if doc.Pass == nil {
		return
	}
	ew.printf("Results:\n")
	var pass, fail, skip int
	for _, v := range doc.Rules {
		switch v.Status {
		case "pass":
			pass++
			ew.printf("  PASS: %s\n", v.Rule)
		case "fail":
			fail++
			ew.printf("  FAIL: %s: %s\n", v.Rule, v.Message)
		default:
			skip++
			ew.printf("  SKIP: %s: %s\n", v.Rule, v.Message)
		}
	}
	status := "PASS"
	if !*doc.Pass {
		status = "FAIL"
	}
	ew.printf("Result:%s [Total:%d] [Passed:%d] [Failed:%d] [Warn:0] [Skipped:%d]\n", status, len(doc.Rules), pass, fail, skip)
}

func percent(n, of int64) string {
	if of == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

// diveBytes formats a byte count as dive prints it (go-humanize's Bytes:
// SI units, a space, one decimal below 10): "39 B", "1.2 kB", "13 MB".
func diveBytes(n int64) string {
	if n < 10 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	e := math.Floor(math.Log(float64(n)) / math.Log(1000))
	val := math.Floor(float64(n)/math.Pow(1000, e)*10+0.5) / 10
	f := "%.0f %s"
	if val < 10 {
		f = "%.1f %s"
	}
	return fmt.Sprintf(f, val, units[int(e)])
}
