package tarball

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// payloadSeeds adds to f every JSON blob of the cosign and oras layouts
// in testdata/artifacts (simple-signing payloads, DSSE envelopes,
// manifests) and, decoded, the statements in the envelopes; it returns
// how many it added.
func payloadSeeds(f *testing.F) int {
	n := 0
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "artifacts", "*", "blobs", "sha256", "*"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 || len(b) > 64<<10 || b[0] != '{' {
			continue
		}
		f.Add(b)
		n++
		var env struct {
			Payload string `json:"payload"`
		}
		if json.Unmarshal(b, &env) == nil && env.Payload != "" {
			if st, err := base64.StdEncoding.DecodeString(env.Payload); err == nil {
				f.Add(st)
				n++
			}
		}
	}
	for _, s := range []string{
		`{"critical":{"image":{"docker-manifest-digest":"sha256:` + strings.Repeat("a", 64) + `"},"type":"cosign container image signature"}}`,
		`{"critical":{"image":{"docker-manifest-digest":"sha256:` + strings.Repeat("a", 64) + `","docker-manifest-digest":"sha256:` + strings.Repeat("b", 64) + `"},"type":"cosign container image signature"}}`,
		`{"critical":{"Image":{},"image":{"docker-manifest-digest":"md5:00"},"type":"cosign container image signature"}}`,
		`{"payloadType":"application/vnd.in-toto+json","payload":"e30","signatures":[{"sig":"_-8"}]}`,
		`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"","digest":{"sha256":"` + strings.Repeat("a", 64) + `","sha512":"x"}}]}`,
	} {
		f.Add([]byte(s))
		n++
	}
	return n
}

// FuzzSimpleSigning checks parseSimpleSigning against encoding/json
// reading the same bytes into a map: whatever it accepts names, in
// critical.image.docker-manifest-digest, the digest it returns, has
// cosign's critical.type, and no duplicate key; whatever it refuses is
// malformed or unsupported and returns nothing.
func FuzzSimpleSigning(f *testing.F) {
	if payloadSeeds(f) < 10 {
		f.Fatal("no seeds from testdata/artifacts")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ref, err := parseSimpleSigning(data)
		if err != nil {
			if d != "" || ref != "" || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported)) {
				t.Fatalf("error %v with %q %q, or of no class", err, d, ref)
			}
			return
		}
		if d.Validate() != nil || (d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512) {
			t.Fatalf("accepted digest %q", d)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		critical := field(m, "critical")
		if got := field(field(critical, "image"), "docker-manifest-digest"); got != d.String() {
			t.Fatalf("returned %s, the document says %v", d, got)
		}
		if got := field(critical, "type"); got != cosignSignatureType {
			t.Fatalf("accepted critical.type %v", got)
		}
		if checkJSON(data, nil) != nil {
			t.Fatalf("accepted a document with duplicate keys")
		}
		d2, ref2, _ := parseSimpleSigning(data)
		if d2 != d || ref2 != ref {
			t.Fatal("two reads differ")
		}
	})
}

// field is m[key] when m is an object, matching the key as
// encoding/json does into a struct field: exactly, else the last key
// that folds to it.
func field(m any, key string) any {
	obj, ok := m.(map[string]any)
	if !ok {
		return nil
	}
	if v, ok := obj[key]; ok {
		return v
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// FuzzEnvelopeStatement checks parseEnvelope and parseStatement: an
// accepted envelope has the payloadType the document says and a payload
// whose base64 (in one of DSSE's alphabets) is the document's; a
// statement has one subject per element of the document's subject list,
// each digest valid and of sha256 or sha512, sorted; refusals are
// malformed or unsupported and return nothing.
func FuzzEnvelopeStatement(f *testing.F) {
	if payloadSeeds(f) < 10 {
		f.Fatal("no seeds from testdata/artifacts")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvelope(data)
		if err != nil {
			if env.payload != nil || env.payloadType != "" || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v with a result, or of no class", err)
			}
		} else {
			var m map[string]any
			if json.Unmarshal(data, &m) != nil || field(m, "payloadType") != env.payloadType {
				t.Fatalf("payloadType %q, document %v", env.payloadType, m)
			}
			s, _ := field(m, "payload").(string)
			if !slices.ContainsFunc([]*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding}, func(e *base64.Encoding) bool {
				return e.EncodeToString(env.payload) == s
			}) {
				t.Fatalf("payload %q is not the base64 %q", env.payload, s)
			}
		}
		checkStatement(t, data)
	})
}

func checkStatement(t *testing.T, data []byte) {
	st, subjects, err := parseStatement(data)
	if err != nil {
		if subjects != nil || st.Type != "" || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported)) {
			t.Fatalf("error %v with a result, or of no class", err)
		}
		return
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		t.Fatal("accepted what encoding/json refuses")
	}
	list, _ := field(m, "subject").([]any)
	if len(list) != len(subjects) || len(list) == 0 || !slices.Contains(inTotoTypes, st.Type) {
		t.Fatalf("%d subjects of %d, type %q", len(subjects), len(list), st.Type)
	}
	for i, s := range subjects {
		if !slices.IsSorted(s.Digests) {
			t.Fatalf("digests not sorted: %v", s.Digests)
		}
		set, _ := field(list[i], "digest").(map[string]any)
		for _, d := range s.Digests {
			if d.Validate() != nil || (d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512) {
				t.Fatalf("accepted digest %q", d)
			}
			if set[d.Algorithm().String()] != d.Encoded() {
				t.Fatalf("digest %s is not the document's %v", d, set)
			}
		}
	}
}
