package tarball

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxJSONDepth bounds the nesting of every JSON document tardigest reads.
const MaxJSONDepth = 64

// decodeStrict unmarshals one JSON document into v, refusing what would
// let the same bytes mean two things to two readers: invalid UTF-8,
// duplicate object keys (I-JSON, RFC 7493), nesting deeper than
// MaxJSONDepth, and data after the document.
func decodeStrict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	if err := checkJSON(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// checkJSON walks the token stream once, checking key uniqueness and
// depth without building the document.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]struct{}
		expect bool // next string token in this object is a key
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
				stack = append(stack, frame{object: d == '{', keys: map[string]struct{}{}, expect: d == '{'})
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
				stack[top].expect = false
			} else {
				stack[top].expect = true
			}
		} else if top < 0 && dec.More() {
			return fmt.Errorf("%w: data after the JSON document", ErrMalformed)
		}
	}
}

var errNotJSON = errors.New("not kept: too large or not JSON")
