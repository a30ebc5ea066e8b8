package tarball

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxJSONDepth bounds the nesting of every JSON document tardigest reads.
const MaxJSONDepth = 64

// decodeStrict unmarshals one JSON document into v, refusing what would
// let the same bytes mean two things to two readers: invalid UTF-8,
// duplicate object keys (I-JSON, RFC 7493), nesting deeper than
// MaxJSONDepth, and data after the document.
func decodeStrict(data []byte, v any) error {
	return decodeStrictKeys(data, v, fieldKeys)
}

// decodeStrictKeys is decodeStrict for a document whose struct keys are
// keys (structKeys): two keys of an object that fold to one of them are
// refused, as encoding/json would read both into one field.
func decodeStrictKeys(data []byte, v any, keys map[string]bool) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	if err := checkJSON(data, keys); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// checkJSON walks the token stream once, checking key uniqueness and
// depth without building the document; keys are the folded struct keys.
func checkJSON(data []byte, keys map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]struct{}
		folded map[string]string // folded struct field key -> key seen
		expect bool              // next string token in this object is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return fmt.Errorf("%w: unexpected end of JSON", ErrMalformed)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack) >= MaxJSONDepth {
					return fmt.Errorf("%w: JSON nested deeper than %d", ErrMalformed, MaxJSONDepth)
				}
				if top >= 0 && stack[top].object {
					stack[top].expect = true
				}
				stack = append(stack, frame{object: d == '{', keys: map[string]struct{}{}, folded: map[string]string{}, expect: d == '{'})
			default:
				stack = stack[:top]
				if len(stack) == 0 && dec.More() {
					return fmt.Errorf("%w: data after the JSON document", ErrMalformed)
				}
			}
			continue
		}
		if top >= 0 && stack[top].object {
			if stack[top].expect {
				k, _ := tok.(string)
				if _, dup := stack[top].keys[k]; dup {
					return fmt.Errorf("%w: duplicate key %q", ErrMalformed, k)
				}
				stack[top].keys[k] = struct{}{}
				// encoding/json matches struct fields without case, so
				// "Layers" and "layers" are one field read twice: the
				// same ambiguity as a duplicate key.
				if lk := foldKey(k); keys[lk] {
					if other, ok := stack[top].folded[lk]; ok {
						return fmt.Errorf("%w: keys %q and %q differ only in case", ErrMalformed, other, k)
					}
					stack[top].folded[lk] = k
				}
				stack[top].expect = false
			} else {
				stack[top].expect = true
			}
		} else if top < 0 && dec.More() {
			return fmt.Errorf("%w: data after the JSON document", ErrMalformed)
		}
	}
}

// foldKey maps a key to one representative of its case-folding class,
// Unicode's simple folding as encoding/json applies it: "Layers",
// "LAYERS" and "Layer\u017f" (long s) all fold alike.
func foldKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// fieldKeys holds the folded JSON keys of every struct tardigest
// decodes documents into.
var fieldKeys = structKeys(dockerManifestEntry{}, manifestOrIndex{}, descriptor{}, Platform{}, imageConfig{}, v1JSON{})

func structKeys(vs ...any) map[string]bool {
	keys := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if !keys[foldKey(name)] {
				keys[foldKey(name)] = true
				walk(f.Type)
			}
		}
	}
	for _, v := range vs {
		walk(reflect.TypeOf(v))
	}
	return keys
}
