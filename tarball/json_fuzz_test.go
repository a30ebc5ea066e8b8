package tarball

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// jsonSeeds are documents at and around every rule decodeStrict adds.
var jsonSeeds = []string{
	``, ` `, `null`, `{}`, `[]`, `0`, `"x"`, `true`, `1e999`, `-0`, `18446744073709551617`,
	`{"a":1}`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"a":1},"b":{"a":2}}`,
	`{"a":[{"b":1,"b":2}]}`, `[{"a":1},{"a":1}]`, `{"A":1,"a":2}`, `{"":1,"":2}`,
	`{"\ud800":1,"\udc00":2}`, "{\"a\":\"\xff\"}", "\xef\xbb\xbf{}", `{"a":1}{"b":2}`, `{"a":1} x`, `[1,2,]`,
	`{"a" 1}`, `{"a":1,}`, `{1:2}`, `[` + strings.Repeat(`[`, 62) + strings.Repeat(`]`, 63),
	strings.Repeat(`[`, 64) + strings.Repeat(`]`, 64), strings.Repeat(`[`, 65) + strings.Repeat(`]`, 65),
	strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64), strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65),
	`{"schemaVersion":2,"manifests":null}`, `{"schemaVersion":2,"config":{},"manifests":[]}`,
	`[{"Config":"c.json","RepoTags":["a:1"],"Layers":["l.tar"],"layers":["m.tar"]}]`,
	`{"Labels":{"a":"1","A":"2"}}`, `{"mediaType":"x","MEDIATYPE":"y"}`,
	// encoding/json folds non-ASCII too: U+017F (long s) matches "s", U+212A
	// (Kelvin) matches "k", so these are one struct field read twice.
	`{"size":1,"\u017fize":2}`, "{\"os\":\"linux\",\"o\u017f\":\"windows\"}",
	"[{\"Layers\":[\"a\"],\"Layer\u017f\":[\"b\"]}]",
	`{"rootfs":{"type":"layers","diff_ids":["sha256:x"]},"history":[{"empty_layer":true}]}`,
}

// FuzzDecodeJSON checks decodeStrict against encoding/json: it refuses
// everything json.Unmarshal refuses, and beyond that exactly invalid
// UTF-8, duplicate keys, keys that encoding/json would match to the same
// struct field (they fold alike, and the fold is a key tardigest reads)
// and nesting deeper than MaxJSONDepth, all found here by an independent
// parser; what it accepts decodes as json.Unmarshal decodes it, into any
// and into every document type tarball reads.
func FuzzDecodeJSON(f *testing.F) {
	n := 0
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
		n++
	}
	for _, pattern := range []string{"*.expected.json", "oci-*/index.json", "oci-*/blobs/sha256/*"} {
		paths, _ := filepath.Glob(filepath.Join("..", "testdata", "archives", pattern))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 && len(b) > 0 && (b[0] == '{' || b[0] == '[') {
				f.Add(b)
				n++
			}
		}
	}
	if n <= len(jsonSeeds) {
		f.Fatal("no seeds from testdata/archives")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want any
		errS := decodeStrict(data, &got)
		errJ := json.Unmarshal(data, &want)
		if errS != nil && !errors.Is(errS, ErrMalformed) {
			t.Errorf("decodeStrict error %q is not ErrMalformed", errS)
		}
		if errJ != nil {
			if errS == nil {
				t.Fatalf("decodeStrict accepted %q, json.Unmarshal refused it: %v", data, errJ)
			}
			return
		}
		reason := refusal(data)
		switch {
		case errS != nil && reason == "":
			t.Fatalf("decodeStrict refused valid JSON %q: %v", data, errS)
		case errS == nil && reason != "":
			t.Fatalf("decodeStrict accepted %q despite %s", data, reason)
		case errS == nil && !reflect.DeepEqual(got, want):
			t.Fatalf("decodeStrict gave %#v, json.Unmarshal %#v", got, want)
		}
		if errS != nil {
			return
		}
		for _, mk := range []func() any{
			func() any { return new(manifestOrIndex) },
			func() any { return new(*[]dockerManifestEntry) },
			func() any { return new(imageConfig) },
			func() any { return new(map[string]map[string]string) },
		} {
			a, b := mk(), mk()
			ea, eb := decodeStrict(data, a), json.Unmarshal(data, b)
			if (ea == nil) != (eb == nil) {
				t.Fatalf("into %T: decodeStrict %v, json.Unmarshal %v", a, ea, eb)
			}
			if ea == nil && !reflect.DeepEqual(a, b) {
				t.Fatalf("into %T: decodeStrict %+v, json.Unmarshal %+v", a, a, b)
			}
		}
	})
}

// refusal says why decodeStrict must refuse a document json.Unmarshal
// accepts, or "" when it must not: found by a small recursive parser of
// its own rather than by the token stream decodeStrict uses.
func refusal(data []byte) string {
	if !utf8.Valid(data) {
		return "invalid UTF-8"
	}
	p := &refParser{b: data}
	p.value(0)
	switch {
	case p.maxDepth > MaxJSONDepth:
		return "depth"
	case p.dup:
		return "duplicate key"
	case p.folded:
		return "keys that differ only in case"
	}
	return ""
}

// fieldFolds are the folded forms of the keys tardigest's document types
// have; two keys of an object that fold to one of them would be read into
// one struct field.
var fieldFolds = func() map[string]bool {
	m := map[string]bool{}
	for k := range fieldKeys {
		m[jsonFold(k)] = true
	}
	return m
}()

// jsonFold folds a key as encoding/json does to match struct fields:
// ASCII letters upper-cased, any other rune replaced by the smallest rune
// of its Unicode simple case-folding orbit.
func jsonFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			continue
		}
		m := r
		for r2 := unicode.SimpleFold(r); r2 != r; r2 = unicode.SimpleFold(r2) {
			m = min(m, r2)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// refParser walks JSON that json.Unmarshal has already accepted, so it
// checks no syntax.
type refParser struct {
	b        []byte
	i        int
	maxDepth int
	dup      bool
	folded   bool
}

func (p *refParser) ws() {
	for p.i < len(p.b) && strings.IndexByte(" \t\r\n", p.b[p.i]) >= 0 {
		p.i++
	}
}

func (p *refParser) value(depth int) {
	p.ws()
	switch p.b[p.i] {
	case '{', '[':
		obj := p.b[p.i] == '{'
		depth++
		p.maxDepth = max(p.maxDepth, depth)
		p.i++
		keys, folds := map[string]bool{}, map[string]bool{}
		for {
			p.ws()
			if c := p.b[p.i]; c == '}' || c == ']' {
				p.i++
				return
			}
			if c := p.b[p.i]; c == ',' {
				p.i++
				continue
			}
			if obj {
				k := p.str()
				p.dup = p.dup || keys[k]
				if f := jsonFold(k); fieldFolds[f] && !keys[k] {
					p.folded = p.folded || folds[f]
					folds[f] = true
				}
				keys[k] = true
				p.ws()
				p.i++ // ':'
			}
			p.value(depth)
		}
	case '"':
		p.str()
	default:
		for p.i < len(p.b) && strings.IndexByte(",]} \t\r\n", p.b[p.i]) < 0 {
			p.i++
		}
	}
}

func (p *refParser) str() string {
	start := p.i
	p.i++
	for p.b[p.i] != '"' {
		if p.b[p.i] == '\\' {
			p.i++
		}
		p.i++
	}
	p.i++
	var s string
	_ = json.Unmarshal(p.b[start:p.i], &s)
	return s
}
