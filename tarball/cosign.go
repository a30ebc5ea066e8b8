package tarball

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/signature"
)

// Annotations of cosign's signature layers.
const (
	annotationCosignSignature   = "dev.cosignproject.cosign/signature"
	annotationCosignCertificate = "dev.sigstore.cosign/certificate"
	annotationPredicateType     = "predicateType"
)

// signed is what a signature covers and the signature itself, kept
// while the payloads are checked: message is the exact bytes signed
// (a simple-signing payload, or the DSSE PAE), sig nil when it is not
// there or not base64.
type signed struct {
	message []byte
	sig     []byte
}

// readSignatures reads the cosign signatures of a signature manifest:
// each simple-signing layer's payload and the signature in its
// annotation.
func (l *linker) readSignatures(c *candidate) {
	l.eachLayer(c, mtSimpleSigning, func(j int, ld *descriptor, subject string) {
		s := Signature{Layer: j, Keyless: ld.Annotations[annotationCosignCertificate] != ""}
		data, d, status := l.payloadBytes(ld, subject, c.pos)
		s.PayloadDigest, s.Payload = d, status
		if data != nil {
			claimed, ref, err := parseSimpleSigning(data)
			if err != nil {
				l.a.add(kindInvalidPayload.causedBy(err), subject, c.pos, "simple-signing payload %s: %v", d, err)
				s.Payload = PayloadMalformed
			}
			s.DockerManifestDigest, s.DockerReference = claimed, ref
		}
		raw := ld.Annotations[annotationCosignSignature]
		sig := l.signatureBytes(raw, subject, c.pos)
		s.Check = initialCheck(raw, sig)
		c.att.Signatures = append(c.att.Signatures, s)
		c.signed = append(c.signed, []signed{{message: data, sig: sig}})
	})
}

// eachLayer calls f for each layer of c's manifest of media type mt, with
// the name findings about it take.
func (l *linker) eachLayer(c *candidate, mt string, f func(j int, ld *descriptor, subject string)) {
	for j := range c.doc.Layers {
		if ld := &c.doc.Layers[j]; ld.MediaType == mt {
			f(j, ld, fmt.Sprintf("%s layer[%d]", l.subject(c), j))
		}
	}
}

// signatureBytes decodes a base64 signature, reporting one that is not
// base64; nil for none.
func (l *linker) signatureBytes(raw, subject string, pos int) []byte {
	if raw == "" {
		return nil
	}
	sig, ok := decodeBase64(raw)
	if !ok || len(sig) == 0 {
		l.a.add(kindMalformedSignature, subject, pos, "the signature %q is not base64", truncateMiddle(raw, 40))
		return nil
	}
	return sig
}

// initialCheck is a signature's verdict before any key is tried.
func initialCheck(raw string, sig []byte) SignatureCheck {
	switch {
	case raw == "":
		return SignatureCheck{Status: SignatureMissing}
	case sig == nil:
		return SignatureCheck{Status: SignatureMalformed}
	}
	return SignatureCheck{Status: SignatureNotChecked}
}

// truncateMiddle shortens s for a message, keeping both ends.
func truncateMiddle(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n/2] + "…" + s[len(s)-n/2:]
}

// readAttestations reads the DSSE envelopes of an attestation manifest:
// each one's in-toto statement, and its signatures over the PAE.
func (l *linker) readAttestations(c *candidate) {
	l.eachLayer(c, mtDSSE, func(j int, ld *descriptor, subject string) {
		at := Attestation{Layer: j, Checks: []SignatureCheck{}}
		var sigs []signed
		data, d, status := l.payloadBytes(ld, subject, c.pos)
		at.EnvelopeDigest, at.Payload = d, status
		if data != nil {
			sigs = l.readEnvelope(&at, data, ld.Annotations[annotationPredicateType], subject, c.pos)
		}
		c.att.Attestations = append(c.att.Attestations, at)
		c.signed = append(c.signed, sigs)
	})
}

// readEnvelope fills at from a DSSE envelope's bytes and returns its
// signatures with the PAE they cover. annotated is the layer's
// predicateType annotation, which must agree with the statement.
func (l *linker) readEnvelope(at *Attestation, data []byte, annotated, subject string, pos int) []signed {
	env, err := parseEnvelope(data)
	if err != nil {
		l.a.add(kindInvalidPayload.causedBy(err), subject, pos, "DSSE envelope %s: %v", at.EnvelopeDigest, err)
		at.Payload = PayloadMalformed
		return nil
	}
	at.PayloadType = env.payloadType
	pae := signature.PAE(env.payloadType, env.payload)
	var sigs []signed
	for _, sig := range env.sigs {
		check := SignatureCheck{Status: SignatureNotChecked}
		if sig == nil {
			check.Status = SignatureMalformed
			l.a.add(kindMalformedSignature, subject, pos, "a signature of DSSE envelope %s is empty or not base64", at.EnvelopeDigest)
		}
		at.Checks = append(at.Checks, check)
		sigs = append(sigs, signed{message: pae, sig: sig})
	}
	if env.payloadType != payloadTypeInToto {
		l.a.add(kindUnsupportedPayload, subject, pos, "DSSE payloadType %q is not an in-toto statement (%s); what it names is not checked", env.payloadType, payloadTypeInToto)
		at.Payload = PayloadUnsupported
		return sigs
	}
	st, subjects, err := parseStatement(env.payload)
	if err != nil {
		l.a.add(kindInvalidPayload.causedBy(err), subject, pos, "in-toto statement in %s: %v", at.EnvelopeDigest, err)
		at.Payload = PayloadMalformed
		return sigs
	}
	at.StatementType, at.PredicateType, at.Subjects = st.Type, st.PredicateType, subjects
	at.Predicate = predicateName(st.PredicateType)
	if annotated != "" && annotated != st.PredicateType {
		l.a.add(kindPredicateTypeDiffers, subject, pos, "the layer's predicateType annotation says %q, its statement %q", annotated, st.PredicateType)
	}
	return sigs
}

// payloadLink links a cosign signature or attestation that nothing else
// links to what its payload names: for a signature, the first payload's
// digest; for an attestation, the first statement subject in the
// archive, else the first.
func (l *linker) payloadLink(c *candidate) {
	for _, s := range c.att.Signatures {
		if s.DockerManifestDigest != "" {
			l.link(c.digest, c.pos, ViaPayload, fmt.Sprintf("signature payload of layer %d", s.Layer), s.DockerManifestDigest, "")
			return
		}
	}
	var first *AttachmentLink
	for _, at := range c.att.Attestations {
		for _, s := range at.Subjects {
			for _, d := range s.Digests {
				lk := AttachmentLink{Via: ViaPayload, Where: fmt.Sprintf("in-toto statement subject %q of layer %d", s.Name, at.Layer), Subject: d}
				if l.statusOf(d) != SubjectAbsent {
					l.link(c.digest, c.pos, lk.Via, lk.Where, lk.Subject, "")
					return
				}
				if first == nil {
					first = &lk
				}
			}
		}
	}
	if first != nil {
		l.link(c.digest, c.pos, first.Via, first.Where, first.Subject, "")
	}
}

// checkPayloads compares what every payload names with the subject its
// attachment is linked to, and verifies every signature with the key,
// if one was given.
func (l *linker) checkPayloads() {
	key := l.a.opts.Key
	for _, c := range l.linked() {
		att := c.att
		for k := range att.Signatures {
			s := &att.Signatures[k]
			if s.DockerManifestDigest != "" {
				s.Payload = l.compare(c, []digest.Digest{s.DockerManifestDigest}, fmt.Sprintf("%s layer[%d]", l.subject(c), s.Layer), "its simple-signing payload names")
			}
			if key != nil {
				verify(key, c.signed[k][0], &s.Check)
			}
		}
		for k := range att.Attestations {
			at := &att.Attestations[k]
			if at.Subjects != nil {
				var all []digest.Digest
				for _, s := range at.Subjects {
					all = append(all, s.Digests...)
				}
				at.Payload = l.compare(c, all, fmt.Sprintf("%s layer[%d]", l.subject(c), at.Layer), "its in-toto statement names")
			}
			for n := range at.Checks {
				if key != nil {
					verify(key, c.signed[len(att.Signatures)+k][n], &at.Checks[n])
				}
			}
		}
	}
}

// linked is every candidate that has a subject, in order.
func (l *linker) linked() []*candidate {
	var out []*candidate
	for _, c := range l.order {
		if len(c.links) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// compare checks that the digests a payload names include the
// attachment's subject, and reports them when not.
func (l *linker) compare(c *candidate, named []digest.Digest, subject, what string) PayloadStatus {
	if slices.Contains(named, c.att.Subject) {
		return PayloadMatches
	}
	var list []string
	for _, d := range named[:min(len(named), namedAtMost)] {
		list = append(list, d.String())
	}
	declared := strings.Join(list, ", ")
	switch {
	case declared == "":
		declared = "no sha256 or sha512 digest"
	case len(named) > len(list):
		declared += fmt.Sprintf(" and %d more", len(named)-len(list))
	}
	l.a.claim(kindPayloadMismatch, subject, c.pos, "payload digest", declared, c.att.Subject.String(),
		fmt.Sprintf("%s %s, but the %s is attached to %s (%s)", what, declared, c.att.Kind, c.att.Subject, c.links[0].Where))
	return PayloadMismatch
}

// verify checks one signature with key and records the verdict; a
// signature that is missing or malformed keeps its verdict.
func verify(key *signature.PublicKey, s signed, check *SignatureCheck) {
	if check.Status != SignatureNotChecked || s.message == nil || s.sig == nil {
		return
	}
	if alg, ok := key.Verify(s.message, s.sig); ok {
		*check = SignatureCheck{Status: SignatureVerified, Key: key.Name, Algorithm: alg}
		return
	}
	*check = SignatureCheck{Status: SignatureNotByKey, Key: key.Name}
}
