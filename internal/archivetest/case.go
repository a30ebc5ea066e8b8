package archivetest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Case is one parsed case file.
type Case struct {
	// Name is the file name without its directory.
	Name     string
	Comment  string
	Expect   string   // ok, mismatch, missing, malformed, limit or unsupported
	Kinds    []string // finding kinds that must appear
	Messages []string // substrings that must appear
	// Container is tar, tar+gzip, tar+zstd, directory or raw.
	Container string
	// Fatal is true when reading must fail as a whole.
	Fatal bool
	// Limits maps limit names (max-json-bytes, ...) to values.
	Limits map[string]int64
	// Images is the number of images that must be found, or -1.
	Images int
	// Exit is the exit code verify must end with when it is not the one
	// of Expect's class (a pre-1.10 archive verifies nothing: 1), or -1.
	Exit int
	// MaxIndexNodes bounds the size of the index tree, or is 0.
	MaxIndexNodes int
	// Truncate cuts the final archive at this offset (negative: from the
	// end) when HasTruncate is set.
	Truncate    int64
	HasTruncate bool
	// Flip lists offsets of bytes of the final archive to invert.
	Flip []int64
	// Heavy marks a case that takes seconds to build and read (a layer
	// of a million entries): tests under -short or -race may skip it.
	Heavy bool

	Sections []*Section
}

// Section is one "-- NAME (modifiers) --" part of a case.
type Section struct {
	Name string
	Body string
	Mods []Mod
	Line int
}

// Mod is one parenthesised modifier: its keyword and arguments.
type Mod struct {
	Key  string
	Args []string
}

func (s *Section) mod(key string) (Mod, bool) {
	for _, m := range s.Mods {
		if m.Key == key {
			return m, true
		}
	}
	return Mod{}, false
}

func (s *Section) has(key string) bool { _, ok := s.mod(key); return ok }

var expects = map[string]bool{"ok": true, "mismatch": true, "missing": true, "malformed": true, "limit": true, "unsupported": true}

var containers = map[string]bool{"tar": true, "tar+gzip": true, "tar+zstd": true, "directory": true, "raw": true}

// LimitNames are the keys a limits: header may use.
var LimitNames = []string{"max-json-bytes", "max-metadata-bytes", "max-entries", "max-index-depth",
	"max-uncompressed-bytes", "max-expansion-ratio", "max-zstd-window-bytes", "max-files"}

// modArgs says how many arguments each modifier takes: -1 any, else exactly.
var modArgs = map[string][2]int{ // min, max
	"at": {1, 1}, "blob": {0, 1}, "def": {0, 0}, "outside": {0, 0},
	"dir": {0, 0}, "symlink": {1, 1}, "hardlink": {1, 1}, "device": {0, 0}, "fifo": {0, 0},
	"raw": {0, 0}, "base64": {0, 0}, "hex": {0, 0}, "layer": {1, 1},
	"prepend": {1, 1}, "append": {1, 1}, "flip": {1, 1},
	"size": {1, 1}, "sparse": {1, 2}, "repeat": {1, 1},
}

// Parse reads a case file. name is used in errors and as Case.Name.
func Parse(name string, data []byte) (*Case, error) {
	c := &Case{Name: name, Container: "tar", Images: -1, Exit: -1, Limits: map[string]int64{}}
	lines := strings.SplitAfter(string(data), "\n")
	errf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line+1, fmt.Sprintf(format, args...))
	}
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		if isSectionLine(line) {
			break
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, errf(i, "header line %q is not key: value", line)
		}
		if err := c.setHeader(strings.TrimSpace(key), strings.TrimSpace(value)); err != nil {
			return nil, errf(i, "%v", err)
		}
	}
	if c.Expect == "" {
		return nil, fmt.Errorf("%s: no expect: line", name)
	}
	if c.Fatal && c.Expect == "ok" {
		return nil, fmt.Errorf("%s: fatal: true with expect: ok", name)
	}
	if err := c.parseSections(lines, i, errf); err != nil {
		return nil, err
	}
	if c.Container == "raw" {
		n := 0
		for _, s := range c.Sections {
			if !s.has("def") && !s.has("outside") {
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("%s: container raw needs exactly one written section, has %d", name, n)
		}
	}
	return c, nil
}

// setHeader sets the header field key of c from its value.
func (c *Case) setHeader(key, value string) error {
	switch key {
	case "comment":
		c.Comment = strings.TrimSpace(c.Comment + " " + value)
	case "expect":
		if !expects[value] {
			return fmt.Errorf("expect %q: want ok, mismatch, missing, malformed, limit or unsupported", value)
		}
		c.Expect = value
	case "kind":
		c.Kinds = append(c.Kinds, value)
	case "message":
		c.Messages = append(c.Messages, value)
	case "container":
		if !containers[value] {
			return fmt.Errorf("container %q: want tar, tar+gzip, tar+zstd, directory or raw", value)
		}
		c.Container = value
	case "fatal", "heavy":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		if key == "fatal" {
			c.Fatal = b
		} else {
			c.Heavy = b
		}
	case "limits":
		return c.setLimits(value)
	case "images", "max-index-nodes", "exit":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return fmt.Errorf("%s: %q is not a count", key, value)
		}
		switch key {
		case "images":
			c.Images = n
		case "exit":
			c.Exit = n
		default:
			c.MaxIndexNodes = n
		}
	case "truncate", "flip":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %v", key, err)
		}
		if key == "truncate" {
			c.Truncate, c.HasTruncate = n, true
		} else {
			c.Flip = append(c.Flip, n)
		}
	default:
		return fmt.Errorf("unknown header key %q", key)
	}
	return nil
}

// setLimits reads a limits: line, name=value pairs.
func (c *Case) setLimits(value string) error {
	for _, kv := range strings.Fields(value) {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil || !known(LimitNames, k) {
			return fmt.Errorf("limit %q: want one of %s =integer", kv, strings.Join(LimitNames, ", "))
		}
		c.Limits[k] = n
	}
	return nil
}

// parseSections reads the sections of a case, from lines[i] on.
func (c *Case) parseSections(lines []string, i int, errf func(int, string, ...any) error) error {
	var cur *Section
	var body bytes.Buffer
	flush := func() {
		if cur != nil {
			cur.Body = strings.TrimSuffix(strings.TrimSuffix(body.String(), "\n"), "\r")
			c.Sections = append(c.Sections, cur)
		}
		body.Reset()
	}
	for ; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		if !isSectionLine(line) {
			body.WriteString(lines[i])
			continue
		}
		flush()
		s, err := parseSectionLine(line)
		if err != nil {
			return errf(i, "%v", err)
		}
		s.Line = i + 1
		cur = s
	}
	flush()
	return nil
}

func known(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isSectionLine(line string) bool {
	return strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --") && len(line) >= 6
}

// parseSectionLine splits "-- NAME (m a) (m) --" into a name and
// modifiers, taken from the end.
func parseSectionLine(line string) (*Section, error) {
	inner := strings.TrimSpace(line[3 : len(line)-3])
	s := &Section{}
	for strings.HasSuffix(inner, ")") {
		open := strings.LastIndex(inner, " (")
		if open < 0 {
			break
		}
		fields := splitFields(inner[open+2 : len(inner)-1])
		inner = strings.TrimSpace(inner[:open])
		if len(fields) == 0 {
			return nil, fmt.Errorf("empty modifier ()")
		}
		m := Mod{Key: fields[0], Args: fields[1:]}
		if (m.Key == "symlink" || m.Key == "hardlink") && len(m.Args) == 2 && m.Args[0] == "->" {
			m.Args = m.Args[1:]
		}
		n, ok := modArgs[m.Key]
		if !ok {
			return nil, fmt.Errorf("unknown modifier %q", m.Key)
		}
		if len(m.Args) < n[0] || len(m.Args) > n[1] {
			return nil, fmt.Errorf("modifier %q takes %d to %d arguments, has %d", m.Key, n[0], n[1], len(m.Args))
		}
		s.Mods = append([]Mod{m}, s.Mods...)
	}
	if inner == "" {
		return nil, fmt.Errorf("section without a name")
	}
	s.Name = inner
	return s, nil
}

// splitFields is strings.Fields, except that spaces inside {{...}} do not
// split.
func splitFields(s string) []string {
	var out []string
	var cur strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			depth++
			cur.WriteString("{{")
			i++
			continue
		case strings.HasPrefix(s[i:], "}}") && depth > 0:
			depth--
			cur.WriteString("}}")
			i++
			continue
		case (s[i] == ' ' || s[i] == '\t') && depth == 0:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(s[i])
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
