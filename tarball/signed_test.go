package tarball_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/tardigest/tardigest/internal/archivetest"
	"github.com/tardigest/tardigest/signature"
	"github.com/tardigest/tardigest/tarball"
)

// signedBase is an OCI layout of one image and a cosign signature
// manifest tagged sha256-<image hex>.sig, whose signature the test
// computes: @sig:KEY:SECTION@ is replaced by the base64 signature by the
// private key KEY (ecdsa, ed25519, ed25519ph) over the bytes of SECTION;
// @dsse:KEY:SECTION@ by one over the DSSE PAE of SECTION as an in-toto
// statement.
const signedBase = `expect: ok
-- oci-layout --
{"imageLayoutVersion":"1.0.0"}
-- layer (layer gzip) (blob) --
etc/hostname: box
-- config (blob) --
{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{diffid layer}}"]}}
-- manifest (blob) --
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{digest config}}","size":{{size config}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{digest layer}}","size":{{size layer}}}]}
-- other (def) --
another manifest
-- sig-config (blob) --
{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":["{{digest payload}}"]},"config":{}}
-- sig (blob) --
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{digest sig-config}}","size":{{size sig-config}}},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{{digest payload}}","size":{{size payload}},"annotations":{"dev.cosignproject.cosign/signature":"@sig:SIGNER:payload@"}}]}
`

// signedPayload is a simple-signing payload naming section TARGET.
const signedPayload = `-- payload (blob) --
{"critical":{"identity":{"docker-reference":"example.test/app"},"image":{"docker-manifest-digest":"{{digest TARGET}}"},"type":"cosign container image signature"},"optional":null}
`

// signedIndex tags the image v1 and the signature manifest
// sha256-<hex of TAGGED>.sig.
const signedIndex = `-- index.json --
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{digest manifest}}","size":{{size manifest}},"annotations":{"org.opencontainers.image.ref.name":"v1"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{digest sig}}","size":{{size sig}},"annotations":{"org.opencontainers.image.ref.name":"sha256-{{hex TAGGED}}.sig"}}]}
`

// signedAttestation adds an .att tag whose DSSE envelope is signed by
// ENVKEY over the PAE (@dsse) or over the bare statement (@sig).
const signedAttestation = `-- statement (def) --
{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"example.test/app","digest":{"sha256":"{{hex manifest}}"}}],"predicate":{}}
-- envelope (blob) --
{"payloadType":"application/vnd.in-toto+json","payload":"{{base64 statement}}","signatures":[{"keyid":"","sig":"@ENVKEY:statement@"}]}
-- att-config (blob) --
{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":["{{digest envelope}}"]},"config":{}}
-- att (blob) --
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{digest att-config}}","size":{{size att-config}}},"layers":[{"mediaType":"application/vnd.dsse.envelope.v1+json","digest":"{{digest envelope}}","size":{{size envelope}},"annotations":{"dev.cosignproject.cosign/signature":"","predicateType":"https://slsa.dev/provenance/v1"}}]}
-- index.json --
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{digest manifest}}","size":{{size manifest}},"annotations":{"org.opencontainers.image.ref.name":"v1"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{digest sig}}","size":{{size sig}},"annotations":{"org.opencontainers.image.ref.name":"sha256-{{hex manifest}}.sig"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{digest att}}","size":{{size att}},"annotations":{"org.opencontainers.image.ref.name":"sha256-{{hex manifest}}.att"}}]}
`

var reSignToken = regexp.MustCompile(`@(sig|dsse):(\w+):([\w-]+)@`)

// signCase builds the archive of a case whose text holds signature
// tokens: it reads the signed sections, signs them with the committed
// test keys, and builds the case again with the signatures in.
func signCase(t *testing.T, text string) []byte {
	t.Helper()
	blank := reSignToken.ReplaceAllString(text, "AAAA")
	c, err := archivetest.Parse("signed.txt", []byte(blank))
	if err != nil {
		t.Fatal(err)
	}
	signed := reSignToken.ReplaceAllStringFunc(text, func(tok string) string {
		m := reSignToken.FindStringSubmatch(tok)
		data, err := c.Bytes(m[3])
		if err != nil {
			t.Fatal(err)
		}
		if m[1] == "dsse" {
			data = signature.PAE("application/vnd.in-toto+json", data)
		}
		return base64.StdEncoding.EncodeToString(signWith(t, m[2], data))
	})
	c, err = archivetest.Parse("signed.txt", []byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	return c.MustArchive(t)
}

// signWith signs data as cosign does with the committed private key:
// ecdsa (ASN.1 over SHA-256), ed25519ph (over SHA-512, as cosign v2.6.5
// signs an imported Ed25519 key) or pure ed25519.
func signWith(t *testing.T, how string, data []byte) []byte {
	t.Helper()
	file := "test-ecdsa-p256.pem"
	if how != "ecdsa" {
		file = "test-ed25519.pem"
	}
	pemData, err := os.ReadFile(filepath.Join(artifactsDir, "keys", file))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemData)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var sig []byte
	switch how {
	case "ecdsa":
		h := sha256.Sum256(data)
		sig, err = ecdsa.SignASN1(rand.Reader, key.(*ecdsa.PrivateKey), h[:])
	case "ed25519ph":
		h := sha512.Sum512(data)
		sig, err = key.(ed25519.PrivateKey).Sign(nil, h[:], &ed25519.Options{Hash: crypto.SHA512})
	default:
		sig = ed25519.Sign(key.(ed25519.PrivateKey), data)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestSignedWithKey builds layouts signed with the committed test keys
// and verifies them with a public key: a signature by the key over a
// payload naming the image covers it; a payload naming another digest, a
// signature by another key, a damaged signature manifest, a dangling
// signature or one over the wrong bytes does not; a tampered layer under
// a valid signature fails all the same.
func TestSignedWithKey(t *testing.T) {
	sigCase := func(signer, target, tagged string) string {
		return bytesReplace(signedBase+signedPayload+signedIndex, "SIGNER", signer, "TARGET", target, "TAGGED", tagged)
	}
	att := func(attSigner string) string {
		return bytesReplace(signedBase+signedPayload+signedAttestation, "SIGNER", "ecdsa", "TARGET", "manifest", "ENVKEY", attSigner)
	}
	// replaced writes other bytes at the path of section name, whose
	// digest the manifests keep naming.
	replaced := func(text, name, header, body string) string {
		return bytesReplace(text, "-- "+name+" "+header+"(blob) --", "-- "+name+" "+header+"(def) --") +
			"-- evil " + header + "(at blobs/sha256/{{hex " + name + "}}) --\n" + body + "\n"
	}
	tests := []struct {
		name, text, key string
		// signed is the algorithm of the signature that covers image 0,
		// "" for none; errs the kinds of the error findings.
		signed signature.Algorithm
		check  tarball.SignatureStatus
		errs   []string
	}{
		{"ecdsa", sigCase("ecdsa", "manifest", "manifest"), "cosign.pub", signature.ECDSAP256SHA256, tarball.SignatureVerified, nil},
		{"ed25519ph as cosign signs", sigCase("ed25519ph", "manifest", "manifest"), "cosign-ed25519.pub", signature.Ed25519ph, tarball.SignatureVerified, nil},
		{"pure ed25519", sigCase("ed25519", "manifest", "manifest"), "cosign-ed25519.pub", signature.Ed25519, tarball.SignatureVerified, nil},
		{"payload names another digest", sigCase("ecdsa", "other", "manifest"), "cosign.pub", "", tarball.SignatureVerified, []string{"payload_mismatch", "unsigned"}},
		{"signed by another key", sigCase("ed25519ph", "manifest", "manifest"), "cosign.pub", "", tarball.SignatureNotByKey, []string{"unsigned"}},
		{"other key than the one given", sigCase("ecdsa", "manifest", "manifest"), "other-ecdsa-p256.pub", "", tarball.SignatureNotByKey, []string{"unsigned"}},
		{"dangling signature", sigCase("ecdsa", "other", "other"), "cosign.pub", "", tarball.SignatureVerified, []string{"unsigned"}},
		{"tampered layer under a valid signature", replaced(sigCase("ecdsa", "manifest", "manifest"), "layer", "(layer gzip) ", "etc/hostname: evil"),
			"cosign.pub", signature.ECDSAP256SHA256, tarball.SignatureVerified, []string{"diff_id_mismatch", "digest_mismatch", "size_mismatch"}},
		// The damaged config still says it is an image config: it is checked
		// as one (issue 10), so its missing diff_ids are an error too.
		{"damaged signature manifest", replaced(sigCase("ecdsa", "manifest", "manifest"), "sig-config", "", `{"rootfs":{}}`),
			"cosign.pub", "", tarball.SignatureVerified, []string{"digest_mismatch", "no_rootfs", "size_mismatch", "unsigned"}},
		{"attestation over the PAE", att("dsse:ecdsa"), "cosign.pub", signature.ECDSAP256SHA256, tarball.SignatureVerified, nil},
		{"attestation over the bare statement", att("sig:ecdsa"), "cosign.pub", signature.ECDSAP256SHA256, tarball.SignatureVerified, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := signCase(t, tt.text)
			res, err := tarball.Read(context.Background(), bytes.NewReader(data), tarball.Options{Key: loadKey(t, tt.key)})
			if err != nil {
				t.Fatal(err)
			}
			var errs []string
			for _, f := range res.Findings {
				if f.Severity == tarball.SeverityError {
					errs = append(errs, f.Kind)
				}
			}
			slices.Sort(errs)
			if !slices.Equal(errs, tt.errs) {
				t.Errorf("errors %v, want %v", errs, tt.errs)
			}
			img := res.Images[0]
			if got := signedAlgorithm(img); got != tt.signed {
				t.Errorf("image 0 signed by %+v, want %q", img.SignedBy, tt.signed)
			}
			var sig *tarball.Attachment
			for _, a := range res.Attachments {
				if a.Kind == tarball.KindSignature {
					sig = a
				}
			}
			if sig == nil || sig.Signatures[0].Check.Status != tt.check {
				t.Fatalf("signature %+v, want status %s", sig, tt.check)
			}
			if (len(tt.errs) == 0) != (res.ErrWithAttachments(0) == nil) {
				t.Errorf("ErrWithAttachments(0) = %v", res.ErrWithAttachments(0))
			}
			checkAttestationVerdict(t, res, tt.name)
		})
	}
}

func signedAlgorithm(img *tarball.Image) signature.Algorithm {
	if len(img.SignedBy) == 0 {
		return ""
	}
	return img.SignedBy[0].Algorithm
}

// checkAttestationVerdict: a DSSE signature verifies over the PAE only.
func checkAttestationVerdict(t *testing.T, res *tarball.Result, name string) {
	t.Helper()
	for _, a := range res.Attachments {
		if a.Kind != tarball.KindAttestation {
			continue
		}
		want := tarball.SignatureVerified
		if name == "attestation over the bare statement" {
			want = tarball.SignatureNotByKey
		}
		if got := a.Attestations[0].Checks[0].Status; got != want || a.Attestations[0].Payload != tarball.PayloadMatches {
			t.Errorf("attestation %+v: %s, want %s", a.Attestations[0], got, want)
		}
	}
}

// TestWithoutKeyNothingIsSigned: with no key every signature is not
// checked, no image says it is signed, and no image is unsigned.
func TestWithoutKeyNothingIsSigned(t *testing.T) {
	data := signCase(t, bytesReplace(signedBase+signedPayload+signedIndex, "SIGNER", "ecdsa", "TARGET", "manifest", "TAGGED", "manifest"))
	res, err := tarball.Read(context.Background(), bytes.NewReader(data), tarball.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.ErrWithAttachments(-1); err != nil || res.Key != "" || len(res.Images[0].SignedBy) != 0 ||
		res.Attachments[0].Signatures[0].Check.Status != tarball.SignatureNotChecked {
		t.Errorf("err %v, key %q, signed by %+v, check %+v", err, res.Key, res.Images[0].SignedBy, res.Attachments[0].Signatures[0].Check)
	}
	if !errors.Is(res.ErrWithAttachments(0), nil) {
		t.Error("an unsigned check failed the image")
	}
}

func bytesReplace(s string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		s = string(bytes.ReplaceAll([]byte(s), []byte(pairs[i]), []byte(pairs[i+1])))
	}
	return s
}
