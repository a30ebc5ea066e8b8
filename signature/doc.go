// Package signature checks signatures made with a public key, as cosign
// makes them, with the standard library alone: it parses a public key
// from PEM and says whether a signature over some bytes is that key's,
// and by which algorithm. It knows nothing about archives, manifests or
// payload formats: package tarball finds the signed bytes and says what
// they claim.
//
// # Keys
//
// A key is a PEM block "PUBLIC KEY" holding a PKIX public key, the form
// of cosign's cosign.pub, of openssl pkey -pubout and of Go's
// x509.MarshalPKIXPublicKey. Two kinds are accepted:
//
//   - ECDSA on P-256: a signature is ASN.1 DER (what cosign writes) or the
//     64-byte r||s form (IEEE P1363), over the SHA-256 of the bytes.
//   - Ed25519: a signature is pure Ed25519 over the bytes, or Ed25519ph
//     (RFC 8032: over their SHA-512). cosign v2.6.5 signs with Ed25519ph
//     when given an imported Ed25519 key, and its verifier then refuses
//     its own signature; both are accepted here, and the Algorithm says
//     which one verified.
//
// Other curves, RSA, certificates and private keys are refused with an
// error that says so: keyless signatures (a Fulcio certificate and a
// Rekor proof) need a trusted root and a transparency log client, which
// this package does not have (see docs/keyless.md).
//
// # DSSE
//
// Attestations are DSSE envelopes: the signature covers PAE(type,
// payload), not the payload alone.
package signature
