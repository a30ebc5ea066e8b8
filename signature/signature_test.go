package signature_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tardigest/tardigest/signature"
)

// keysDir holds the throwaway test keys of testdata/artifacts.
var keysDir = filepath.Join("..", "testdata", "artifacts", "keys")

func readKey(t *testing.T, name string) *signature.PublicKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := signature.ParsePublicKey(name, data)
	if err != nil {
		t.Fatalf("ParsePublicKey(%s): %v", name, err)
	}
	return k
}

// privateKey reads one of the committed PKCS#8 private keys.
func privateKey(t *testing.T, name string) crypto.Signer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(keysDir, name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(crypto.Signer)
}

// TestVerifyOwnSignatures signs with the committed private keys, in
// every form a signer may use, and verifies with the matching cosign.pub
// files: the algorithm is the one used, and another key, another message
// or a flipped bit is refused.
func TestVerifyOwnSignatures(t *testing.T) {
	msg := []byte(`{"critical":{}}`)
	ecKey := privateKey(t, "test-ecdsa-p256.pem").(*ecdsa.PrivateKey)
	edKey := privateKey(t, "test-ed25519.pem").(ed25519.PrivateKey)
	h256 := sha256.Sum256(msg)
	h512 := sha512.Sum512(msg)
	asn1Sig, err := ecdsa.SignASN1(rand.Reader, ecKey, h256[:])
	if err != nil {
		t.Fatal(err)
	}
	r, s, err := ecdsa.Sign(rand.Reader, ecKey, h256[:])
	if err != nil {
		t.Fatal(err)
	}
	p1363 := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	phSig, err := edKey.Sign(nil, h512[:], &ed25519.Options{Hash: crypto.SHA512})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		sig       []byte
		want      signature.Algorithm
	}{
		{"ecdsa asn1", "cosign.pub", asn1Sig, signature.ECDSAP256SHA256},
		{"ecdsa p1363", "cosign.pub", p1363, signature.ECDSAP256SHA256},
		{"ed25519", "cosign-ed25519.pub", ed25519.Sign(edKey, msg), signature.Ed25519},
		{"ed25519ph", "cosign-ed25519.pub", phSig, signature.Ed25519ph},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := readKey(t, tt.key)
			if got, ok := k.Verify(msg, tt.sig); !ok || got != tt.want {
				t.Errorf("Verify = %q, %v; want %q, true", got, ok, tt.want)
			}
			if _, ok := k.Verify(append(msg, ' '), tt.sig); ok {
				t.Error("a signature verified over another message")
			}
			bad := append([]byte(nil), tt.sig...)
			bad[len(bad)/2] ^= 1
			if _, ok := k.Verify(msg, bad); ok {
				t.Error("a flipped signature verified")
			}
			other := readKey(t, "other-ecdsa-p256.pub")
			if tt.key == "cosign.pub" {
				other = readKey(t, "cosign-ed25519.pub")
			}
			if _, ok := other.Verify(msg, tt.sig); ok {
				t.Errorf("%s verified a signature by %s", other.Name, tt.key)
			}
		})
	}
}

// TestVerifyCosignSignatures checks the signatures cosign v2.6.5 made in
// testdata/artifacts/cosign-save against the keys and algorithms the
// fixture's expected.json records (found there with openssl and Go).
func TestVerifyCosignSignatures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "artifacts")
	data, err := os.ReadFile(filepath.Join(dir, "cosign-save.expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Signatures []struct {
			Layers []struct {
				PayloadDigest string `json:"payload_digest"`
				Signature     string `json:"signature"`
				VerifiedBy    []struct {
					Key       string `json:"key"`
					Algorithm string `json:"algorithm"`
				} `json:"verified_by"`
			} `json:"layers"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(data, &exp); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range exp.Signatures {
		for _, l := range s.Layers {
			payload, err := os.ReadFile(filepath.Join(dir, "cosign-save", "blobs", "sha256", strings.TrimPrefix(l.PayloadDigest, "sha256:")))
			if err != nil {
				t.Fatal(err)
			}
			sig, err := base64.StdEncoding.DecodeString(l.Signature)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"cosign.pub", "cosign-ed25519.pub", "other-ecdsa-p256.pub"} {
				got, ok := readKey(t, name).Verify(payload, sig)
				want := ""
				for _, v := range l.VerifiedBy {
					if v.Key == name {
						want = v.Algorithm
					}
				}
				if string(got) != want || ok != (want != "") {
					t.Errorf("%s over %s: Verify = %q, %v; expected.json says %q", name, l.PayloadDigest, got, ok, want)
				}
				checked++
			}
		}
	}
	if checked != 6 {
		t.Fatalf("checked %d signature-key pairs, want 6", checked)
	}
}

// TestParsePublicKeyRefuses: what is not an ECDSA P-256 or Ed25519
// public key is refused with ErrKey, and the message says what it is.
func TestParsePublicKeyRefuses(t *testing.T) {
	pkix := func(pub any) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	private, err := os.ReadFile(filepath.Join(keysDir, "test-ecdsa-p256.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cosignKey, err := os.ReadFile(filepath.Join(keysDir, "cosign.key"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no PEM block"},
		{"not pem", []byte("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"), "no PEM block"},
		{"private pkcs8", private, "is a private key"},
		{"cosign private", cosignKey, "is a private key"},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30}}), "is a certificate"},
		{"p384", pkix(&p384.PublicKey), "only P-256"},
		{"rsa", pkix(&rsaKey.PublicKey), "only ECDSA P-256 and Ed25519"},
		{"garbage der", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}), "k.pem:"},
		{"other block", pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8}}), "not a PUBLIC KEY"},
		{"huge", make([]byte, signature.MaxKeyBytes+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := signature.ParsePublicKey("k.pem", tt.data)
			if k != nil || !errors.Is(err, signature.ErrKey) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePublicKey = %v, %v; want ErrKey saying %q", k, err, tt.want)
			}
		})
	}
}

// TestPAE is the example of the DSSE specification (protocol.md).
func TestPAE(t *testing.T) {
	got := string(signature.PAE("http://example.com/HelloWorld", []byte("hello world")))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; got != want {
		t.Errorf("PAE = %q, want %q", got, want)
	}
}
