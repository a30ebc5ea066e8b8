package tarball

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// The payload formats tardigest reads.
const (
	// cosignSignatureType is critical.type of every cosign signature
	// payload; cosign refuses any other.
	cosignSignatureType = "cosign container image signature"
	// payloadTypeInToto is the DSSE payloadType of an in-toto statement.
	payloadTypeInToto = "application/vnd.in-toto+json"
)

// simpleSigning is a cosign simple-signing payload, the bytes a cosign
// signature covers:
//
//	{"critical": {"identity": {"docker-reference": "…"},
//	              "image": {"docker-manifest-digest": "sha256:…"},
//	              "type": "cosign container image signature"},
//	 "optional": {…}}
type simpleSigning struct {
	Critical *struct {
		Identity *struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image *struct {
			DockerManifestDigest *string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional json.RawMessage `json:"optional"`
}

// envelope is a DSSE envelope; Payload is base64.
type envelope struct {
	PayloadType string  `json:"payloadType"`
	Payload     *string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// statement is an in-toto statement (v0.1 or v1); the predicate itself
// is not read.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
}

// payloadKeys are the folded struct keys of the payload documents, for
// decodeStrictKeys.
var payloadKeys = structKeys(simpleSigning{}, envelope{}, statement{})

// parseSimpleSigning reads a cosign simple-signing payload: the digest it
// names (critical.image.docker-manifest-digest) and the reference
// (critical.identity.docker-reference). Errors are of class ErrMalformed,
// or ErrUnsupported for a digest of an unknown algorithm.
func parseSimpleSigning(data []byte) (digest.Digest, string, error) {
	var p simpleSigning
	if err := decodeStrictKeys(data, &p, payloadKeys); err != nil {
		return "", "", err
	}
	switch {
	case p.Critical == nil:
		return "", "", fmt.Errorf("%w: no critical section", ErrMalformed)
	case p.Critical.Type != cosignSignatureType:
		return "", "", fmt.Errorf("%w: critical.type is %q, not %q", ErrMalformed, p.Critical.Type, cosignSignatureType)
	case p.Critical.Image == nil || p.Critical.Image.DockerManifestDigest == nil:
		return "", "", fmt.Errorf("%w: no critical.image.docker-manifest-digest", ErrMalformed)
	}
	d, err := ParseDigest(*p.Critical.Image.DockerManifestDigest)
	if err != nil {
		return "", "", fmt.Errorf("critical.image.docker-manifest-digest: %w", err)
	}
	ref := ""
	if p.Critical.Identity != nil {
		ref = p.Critical.Identity.DockerReference
	}
	return d, ref, nil
}

// parsedEnvelope is a DSSE envelope with its payload and signatures
// decoded.
type parsedEnvelope struct {
	payloadType string
	payload     []byte
	// sigs are the signatures, nil where one is not base64.
	sigs [][]byte
}

// parseEnvelope reads a DSSE envelope. Its payload must be base64 (DSSE
// allows the standard and the URL alphabet); a signature that is not
// base64 is kept as nil, to be reported as malformed.
func parseEnvelope(data []byte) (parsedEnvelope, error) {
	var env envelope
	if err := decodeStrictKeys(data, &env, payloadKeys); err != nil {
		return parsedEnvelope{}, err
	}
	if env.Payload == nil || env.PayloadType == "" {
		return parsedEnvelope{}, fmt.Errorf("%w: a DSSE envelope needs a payload and a payloadType", ErrMalformed)
	}
	payload, ok := decodeBase64(*env.Payload)
	if !ok {
		return parsedEnvelope{}, fmt.Errorf("%w: the DSSE payload is not base64", ErrMalformed)
	}
	out := parsedEnvelope{payloadType: env.PayloadType, payload: payload}
	for _, s := range env.Signatures {
		sig, ok := decodeBase64(s.Sig)
		if !ok || len(sig) == 0 {
			sig = nil
		}
		out.sigs = append(out.sigs, sig)
	}
	return out, nil
}

// decodeBase64 decodes s in the standard or the URL alphabet, padded or
// not, and only in its canonical form: no encoder sets the bits after
// the last byte, and a string that does is one of several that decode
// to the same bytes.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding.Strict(), base64.URLEncoding.Strict(), base64.RawStdEncoding.Strict(), base64.RawURLEncoding.Strict()} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// inTotoTypes are the statement types tardigest reads.
var inTotoTypes = []string{"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"}

// parseStatement reads an in-toto statement: its type, predicate type
// and subjects, each subject's sha256 and sha512 digests sorted (other
// algorithms are left out). Errors are of class ErrMalformed.
func parseStatement(data []byte) (statement, []StatementSubject, error) {
	var st statement
	if err := decodeStrictKeys(data, &st, payloadKeys); err != nil {
		return statement{}, nil, err
	}
	if !slices.Contains(inTotoTypes, st.Type) {
		return statement{}, nil, fmt.Errorf("%w: _type %q is not an in-toto statement", ErrMalformed, st.Type)
	}
	if len(st.Subject) == 0 {
		return statement{}, nil, fmt.Errorf("%w: the statement has no subject", ErrMalformed)
	}
	subjects := make([]StatementSubject, 0, len(st.Subject))
	for i, s := range st.Subject {
		out := StatementSubject{Name: s.Name, Digests: []digest.Digest{}}
		for alg, hex := range s.Digest {
			if alg != "sha256" && alg != "sha512" {
				continue
			}
			d, err := ParseDigest(alg + ":" + hex)
			if err != nil {
				return statement{}, nil, fmt.Errorf("subject[%d]: %w", i, err)
			}
			out.Digests = append(out.Digests, d)
		}
		slices.Sort(out.Digests)
		subjects = append(subjects, out)
	}
	return st, subjects, nil
}

// predicateNames words the predicate types cosign attest --type writes
// and the common others.
var predicateNames = map[string]string{
	"https://slsa.dev/provenance/v0.1":                "SLSA provenance",
	"https://slsa.dev/provenance/v0.2":                "SLSA provenance",
	"https://slsa.dev/provenance/v1":                  "SLSA provenance",
	"https://spdx.dev/Document":                       "SPDX SBOM",
	"https://spdx.dev/Document/v2.3":                  "SPDX SBOM",
	"https://cyclonedx.org/bom":                       "CycloneDX SBOM",
	"https://cyclonedx.org/bom/v1.4":                  "CycloneDX SBOM",
	"https://cosign.sigstore.dev/attestation/vuln/v1": "vulnerability scan",
	"https://cosign.sigstore.dev/attestation/v1":      "custom predicate",
	"https://in-toto.io/attestation/link/v0.3":        "in-toto link",
	"https://in-toto.io/attestation/vulns/v0.1":       "vulnerability scan",
	"https://openvex.dev/ns":                          "OpenVEX",
	"https://openvex.dev/ns/v0.2.0":                   "OpenVEX",
}

// predicateName words a predicate type, or returns it as it is.
func predicateName(t string) string {
	if n, ok := predicateNames[t]; ok {
		return n
	}
	return t
}

// sbomFormats names the SBOM format of a layer media type.
var sbomFormats = map[string]string{
	"text/spdx":                      "SPDX",
	"text/spdx+json":                 "SPDX",
	"text/spdx+xml":                  "SPDX",
	"application/spdx+json":          "SPDX",
	"application/vnd.cyclonedx":      "CycloneDX",
	"application/vnd.cyclonedx+json": "CycloneDX",
	"application/vnd.cyclonedx+xml":  "CycloneDX",
	"application/vnd.syft+json":      "Syft",
}

// artifactKinds classifies an OCI 1.1 referrer by its artifact type when
// its layers do not show it.
var artifactKinds = map[string]struct {
	kind   AttachmentKind
	format string
}{
	"application/vnd.dev.cosign.artifact.sig.v1+json":      {KindSignature, "cosign"},
	"application/vnd.dev.sigstore.bundle.v0.3+json":        {KindSignature, "sigstore bundle"},
	"application/vnd.dev.sigstore.bundle+json;version=0.3": {KindSignature, "sigstore bundle"},
	"application/vnd.cncf.notary.signature":                {KindSignature, "Notary"},
	"application/vnd.dev.cosign.artifact.sbom.v1+json":     {KindSBOM, "cosign"},
	"application/spdx+json":                                {KindSBOM, "SPDX"},
	"text/spdx+json":                                       {KindSBOM, "SPDX"},
	"application/vnd.cyclonedx+json":                       {KindSBOM, "CycloneDX"},
	"application/vnd.syft+json":                            {KindSBOM, "Syft"},
	"application/vnd.in-toto+json":                         {KindAttestation, "in-toto"},
	"application/vnd.dev.cosign.artifact.att.v1+json":      {KindAttestation, "in-toto"},
}

// classify says what a candidate is (Kind, Format, ArtifactType) from
// its layers, else its tags or cosign save annotation, else its artifact
// type, and parses its payloads.
func (l *linker) classify(c *candidate) {
	att := c.att
	if c.doc != nil {
		att.ArtifactType = c.doc.ArtifactType
		if att.ArtifactType == "" && c.doc.Config != nil && c.doc.Config.MediaType != mtOCIConfig {
			att.ArtifactType = c.doc.Config.MediaType
		}
	}
	switch content := docAttachmentKind(c.doc); {
	case content != "":
		att.Kind = content
		if content == KindSignature {
			att.Format = "cosign"
			l.readSignatures(c)
		} else {
			att.Format = "in-toto"
			l.readAttestations(c)
		}
	case len(c.kinds) > 0:
		att.Kind = c.kinds[0]
		att.Format = "cosign"
		if att.Kind == KindSBOM {
			att.Format = cmp.Or(sbomFormat(c.doc), att.ArtifactType, "unknown")
		}
	case artifactKinds[att.ArtifactType].kind != "":
		k := artifactKinds[att.ArtifactType]
		att.Kind, att.Format = k.kind, k.format
	default:
		att.Kind, att.Format = KindReferrer, cmp.Or(att.ArtifactType, "unknown")
	}
}

// docAttachmentKind is cosignContent of a manifest that may not have been read.
func docAttachmentKind(doc *manifestOrIndex) AttachmentKind {
	if doc == nil {
		return ""
	}
	return cosignContent(doc)
}

// sbomFormat names the SBOM format of a cosign .sbom manifest's layers,
// "" when none is known.
func sbomFormat(doc *manifestOrIndex) string {
	if doc != nil {
		for _, ld := range doc.Layers {
			if f, ok := sbomFormats[strings.ToLower(ld.MediaType)]; ok {
				return f
			}
		}
	}
	return ""
}

// payloadBytes returns the bytes of a layer blob that holds a payload
// document: nil with PayloadAbsent when the blob is not in the archive
// (already reported as missing), nil with PayloadMalformed after a
// finding when it is not a JSON document tardigest kept.
func (l *linker) payloadBytes(ld *descriptor, subject string, pos int) ([]byte, digest.Digest, PayloadStatus) {
	d, err := ParseDigest(ld.Digest)
	if err != nil {
		return nil, "", PayloadMalformed // reported when the layer was read
	}
	e, _, err := l.a.cat.lookup(l.a.blobName(d))
	if err != nil {
		return nil, d, PayloadAbsent
	}
	if err := l.a.documentErr(e); err != nil {
		l.a.add(kindInvalidPayload.causedBy(err), subject, pos, "%v", err)
		return nil, d, PayloadMalformed
	}
	return e.data, d, ""
}
