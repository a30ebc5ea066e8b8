package archivetest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// value is a section's evaluated bytes.
type value struct {
	data   []byte
	diffID string // sha256:<hex> of the uncompressed layer tar
	digest string // sha256:<hex> of data, once asked for
}

// sha256 returns the digest of v's bytes, computed once: a {{repeat}}
// naming a large section thousands of times must not hash it each time.
func (v *value) sha256() string {
	if v.digest == "" {
		v.digest = sha256Digest(v.data)
	}
	return v.digest
}

// builder evaluates sections lazily, each once (a (repeat N) section
// once per copy).
type builder struct {
	c       *Case
	byName  map[string]*Section
	done    map[*Section]*value
	working map[*Section]bool
	// index holds the copy numbers of the repeats being expanded,
	// innermost last: what {{i}} says.
	index []int
}

func newBuilder(c *Case) *builder {
	b := &builder{c: c, byName: map[string]*Section{}, done: map[*Section]*value{}, working: map[*Section]bool{}}
	for _, s := range c.Sections {
		if _, ok := b.byName[s.Name]; !ok {
			b.byName[s.Name] = s
		}
	}
	return b
}

func (b *builder) errf(s *Section, format string, args ...any) error {
	return fmt.Errorf("%s:%d: section %q: %s", b.c.Name, s.Line, s.Name, fmt.Sprintf(format, args...))
}

// Bytes returns the evaluated bytes of the section labelled name.
func (c *Case) Bytes(name string) ([]byte, error) {
	b := newBuilder(c)
	s, ok := b.byName[name]
	if !ok {
		return nil, fmt.Errorf("%s: no section %q", c.Name, name)
	}
	v, err := b.eval(s)
	if err != nil {
		return nil, err
	}
	return v.data, nil
}

func (b *builder) eval(s *Section) (*value, error) {
	if v, ok := b.done[s]; ok {
		return v, nil
	}
	if b.working[s] {
		return nil, b.errf(s, "placeholder cycle")
	}
	b.working[s] = true
	defer delete(b.working, s)

	body := s.Body
	if !s.has("raw") {
		var err error
		if body, err = b.expand(body); err != nil {
			return nil, b.errf(s, "%v", err)
		}
	}
	data := []byte(body)
	switch {
	case s.has("base64"):
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return nil, b.errf(s, "base64: %v", err)
		}
		data = d
	case s.has("hex"):
		d, err := hex.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return nil, b.errf(s, "hex: %v", err)
		}
		data = d
	}
	v := &value{}
	if m, ok := s.mod("layer"); ok {
		var err error
		if data, v.diffID, err = buildLayer(m.Args[0], body); err != nil {
			return nil, b.errf(s, "layer: %v", err)
		}
	}
	if m, ok := s.mod("prepend"); ok {
		p, err := hex.DecodeString(m.Args[0])
		if err != nil {
			return nil, b.errf(s, "prepend: %v", err)
		}
		data = append(p, data...)
	}
	if m, ok := s.mod("append"); ok {
		p, err := hex.DecodeString(m.Args[0])
		if err != nil {
			return nil, b.errf(s, "append: %v", err)
		}
		data = append(data, p...)
	}
	if m, ok := s.mod("flip"); ok {
		var err error
		if data, err = flip(data, m.Args[0]); err != nil {
			return nil, b.errf(s, "%v", err)
		}
	}
	if m, ok := s.mod("sparse"); ok {
		n, err := sparseArgs(m)
		if err != nil {
			return nil, b.errf(s, "%v", err)
		}
		if n <= maxExpandedHole {
			data = append(data, make([]byte, n)...) // the expanded bytes
		}
	}
	if v.diffID == "" {
		v.diffID = sha256Digest(data)
	}
	v.data = data
	b.done[s] = v
	return v, nil
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func flip(data []byte, arg string) ([]byte, error) {
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("flip %q: %v", arg, err)
	}
	if n < 0 {
		n += int64(len(data))
	}
	if n < 0 || n >= int64(len(data)) {
		return nil, fmt.Errorf("flip %s: outside %d bytes", arg, len(data))
	}
	out := append([]byte(nil), data...)
	out[n] ^= 0xff
	return out, nil
}

// expand replaces the placeholders of s.
func (b *builder) expand(s string) (string, error) {
	var out strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			out.WriteString(s)
			return out.String(), nil
		}
		// "{{{x}}" is a literal "{" and then "{{x}}".
		for i+2 < len(s) && s[i+2] == '{' {
			i++
		}
		out.WriteString(s[:i])
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed {{ in %q", clip(s[i:]))
		}
		action := strings.Fields(s[i+2 : i+j])
		s = s[i+j+2:]
		if len(action) == 0 {
			return "", fmt.Errorf("empty {{}}")
		}
		if action[0] == "repeat" {
			if len(action) < 2 || len(action) > 3 {
				return "", fmt.Errorf("want {{repeat N}} or {{repeat N SEP}}")
			}
			n, err := strconv.Atoi(action[1])
			if err != nil || n < 0 || n > 10_000_000 {
				return "", fmt.Errorf("repeat %q: not a count", action[1])
			}
			inner, rest, err := matchEnd(s)
			if err != nil {
				return "", err
			}
			sep := ""
			if len(action) == 3 {
				sep = action[2]
			}
			if err := b.repeat(&out, inner, sep, n); err != nil {
				return "", err
			}
			s = rest
			continue
		}
		text, err := b.placeholder(action)
		if err != nil {
			return "", err
		}
		out.WriteString(text)
	}
}

// repeat writes n copies of inner, expanded, with sep between them. The
// text is expanded once unless it says {{i}}, the copy's number.
func (b *builder) repeat(out *strings.Builder, inner, sep string, n int) error {
	perCopy := strings.Contains(inner, "{{i}}") || strings.Contains(inner, "{{i ")
	var text string
	for k := 0; k < n; k++ {
		if k == 0 || perCopy {
			b.index = append(b.index, k)
			t, err := b.expand(inner)
			b.index = b.index[:len(b.index)-1]
			if err != nil {
				return err
			}
			text = t
		}
		if k > 0 {
			out.WriteString(sep)
		}
		out.WriteString(text)
	}
	return nil
}

// indexPlaceholder is {{i [OFFSET [WIDTH]]}}: the number of the copy
// being written by the innermost repeat, plus OFFSET, zero-padded to
// WIDTH digits.
func (b *builder) indexPlaceholder(action []string) (string, error) {
	if len(b.index) == 0 {
		return "", fmt.Errorf("{{i}} outside a repeat")
	}
	var off, width int64
	var err error
	if len(action) > 1 {
		if off, err = strconv.ParseInt(action[1], 10, 64); err != nil {
			return "", fmt.Errorf("{{i %s}}: %v", action[1], err)
		}
	}
	if len(action) > 2 {
		if width, err = strconv.ParseInt(action[2], 10, 64); err != nil || width < 0 || width > 64 {
			return "", fmt.Errorf("{{i %s %s}}: want a width of 0 to 64", action[1], action[2])
		}
	}
	if len(action) > 3 {
		return "", fmt.Errorf("want {{i}}, {{i OFFSET}} or {{i OFFSET WIDTH}}")
	}
	return fmt.Sprintf("%0*d", width, int64(b.index[len(b.index)-1])+off), nil
}

// matchEnd splits s at the {{end}} that closes a {{repeat}}.
func matchEnd(s string) (inner, rest string, err error) {
	depth := 0
	for k := 0; k < len(s); {
		i := strings.Index(s[k:], "{{")
		if i < 0 {
			break
		}
		i += k
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		action := strings.Fields(s[i+2 : i+j])
		switch {
		case len(action) > 0 && action[0] == "repeat":
			depth++
		case len(action) == 1 && action[0] == "end":
			if depth == 0 {
				return s[:i], s[i+j+2:], nil
			}
			depth--
		}
		k = i + 2
	}
	return "", "", fmt.Errorf("{{repeat}} without {{end}}")
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func (b *builder) placeholder(action []string) (string, error) {
	fn := action[0]
	if fn == "i" {
		return b.indexPlaceholder(action)
	}
	if fn == "bytes" {
		if len(action) != 2 {
			return "", fmt.Errorf("want {{bytes HEX}}")
		}
		d, err := hex.DecodeString(action[1])
		return string(d), err
	}
	if len(action) < 2 || len(action) > 3 || (len(action) == 3 && fn != "size") {
		return "", fmt.Errorf("bad placeholder {{%s}}", strings.Join(action, " "))
	}
	s, ok := b.byName[action[1]]
	if !ok {
		return "", fmt.Errorf("{{%s}}: no section %q", strings.Join(action, " "), action[1])
	}
	v, err := b.eval(s)
	if err != nil {
		return "", err
	}
	switch fn {
	case "digest":
		return v.sha256(), nil
	case "hex":
		return strings.TrimPrefix(v.sha256(), "sha256:"), nil
	case "sha512":
		sum := sha512.Sum512(v.data)
		return "sha512:" + hex.EncodeToString(sum[:]), nil
	case "diffid":
		return v.diffID, nil
	case "base64":
		return base64.StdEncoding.EncodeToString(v.data), nil
	case "size":
		n := int64(len(v.data))
		if len(action) == 3 {
			d, err := strconv.ParseInt(action[2], 10, 64)
			if err != nil {
				return "", fmt.Errorf("{{size %s %s}}: %v", action[1], action[2], err)
			}
			n += d
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", fmt.Errorf("unknown placeholder {{%s}}", fn)
}

// maxExpandedHole is the largest hole of a (sparse N) section that
// placeholders see expanded; a larger one (a bomb) is left out of them.
const maxExpandedHole = 64 << 20

// sparseFormats are the sparse encodings a (sparse N FORMAT) section
// may use.
var sparseFormats = []string{"pax1.0", "pax0.1", "pax0.0", "gnu"}

// sparseArgs returns the hole size of a (sparse N [FORMAT]) modifier.
func sparseArgs(m Mod) (int64, error) {
	n, err := strconv.ParseInt(m.Args[0], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("sparse %q: not a size", m.Args[0])
	}
	if len(m.Args) == 2 && !known(sparseFormats, m.Args[1]) {
		return 0, fmt.Errorf("sparse format %q: want one of %s", m.Args[1], strings.Join(sparseFormats, ", "))
	}
	return n, nil
}
