package signature

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strconv"
)

// ErrKey is the class of every error ParsePublicKey returns: the bytes
// are not a public key this package can use.
var ErrKey = errors.New("unusable key")

// MaxKeyBytes caps the PEM file a key is read from; a P-256 or Ed25519
// public key in PEM is under 200 bytes.
const MaxKeyBytes = 64 << 10

// Algorithm names how a signature verified.
type Algorithm string

// Algorithms.
const (
	// ECDSAP256SHA256 is ECDSA on P-256 over the SHA-256 of the bytes.
	ECDSAP256SHA256 Algorithm = "ecdsa-p256-sha256"
	// Ed25519 is pure Ed25519 over the bytes.
	Ed25519 Algorithm = "ed25519"
	// Ed25519ph is Ed25519ph over the SHA-512 of the bytes (RFC 8032).
	Ed25519ph Algorithm = "ed25519ph"
)

// PublicKey is a public key that verifies signatures.
type PublicKey struct {
	// Name is how the user named the key (its file name), for reports.
	Name string
	// Type is "ecdsa-p256" or "ed25519".
	Type string
	ec   *ecdsa.PublicKey
	ed   ed25519.PublicKey
}

// ParsePublicKey reads the first PEM block of data as a public key named
// name. It refuses private keys (with a hint to pass the public key),
// certificates, and keys other than ECDSA P-256 and Ed25519.
func ParsePublicKey(name string, data []byte) (*PublicKey, error) {
	if len(data) > MaxKeyBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrKey, name, MaxKeyBytes)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s holds no PEM block", ErrKey, name)
	}
	switch block.Type {
	case "PUBLIC KEY":
	case "CERTIFICATE":
		return nil, fmt.Errorf("%w: %s is a certificate; keyless (certificate) verification is not supported, pass the public key", ErrKey, name)
	default:
		if bytes.Contains([]byte(block.Type), []byte("PRIVATE KEY")) {
			return nil, fmt.Errorf("%w: %s is a private key (%s); pass the public key, such as cosign.pub", ErrKey, name, block.Type)
		}
		return nil, fmt.Errorf("%w: %s holds a %q PEM block, not a PUBLIC KEY", ErrKey, name, block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKey, name, err)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: %s is an ECDSA key on %s; only P-256 is supported", ErrKey, name, k.Curve.Params().Name)
		}
		return &PublicKey{Name: name, Type: "ecdsa-p256", ec: k}, nil
	case ed25519.PublicKey:
		return &PublicKey{Name: name, Type: "ed25519", ed: k}, nil
	}
	return nil, fmt.Errorf("%w: %s is a %T key; only ECDSA P-256 and Ed25519 are supported", ErrKey, name, pub)
}

// Verify reports whether sig is k's signature over message, and by which
// algorithm; "" and false when it is not.
func (k *PublicKey) Verify(message, sig []byte) (Algorithm, bool) {
	switch {
	case k.ec != nil:
		h := sha256.Sum256(message)
		if ecdsa.VerifyASN1(k.ec, h[:], sig) {
			return ECDSAP256SHA256, true
		}
		if len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if ecdsa.Verify(k.ec, h[:], r, s) {
				return ECDSAP256SHA256, true
			}
		}
	case k.ed != nil:
		if len(sig) != ed25519.SignatureSize {
			return "", false
		}
		if ed25519.Verify(k.ed, message, sig) {
			return Ed25519, true
		}
		h := sha512.Sum512(message)
		if ed25519.VerifyWithOptions(k.ed, h[:], sig, &ed25519.Options{Hash: crypto.SHA512}) == nil {
			return Ed25519ph, true
		}
	}
	return "", false
}

// PAE is DSSE's pre-authentication encoding of a payload of type
// payloadType: the bytes a DSSE signature covers,
// "DSSEv1 <len(type)> <type> <len(payload)> <payload>".
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}
