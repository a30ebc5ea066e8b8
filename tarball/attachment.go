package tarball

import (
	"github.com/opencontainers/go-digest"

	"github.com/tardigest/tardigest/signature"
)

// Attachment is a manifest (or, for an OCI 1.1 referrer, possibly an
// index) that is about another one, its subject: a cosign signature,
// attestation or SBOM, or an OCI 1.1 referrer. Its own manifest is also
// an Image of the Result (or an index node), whose blobs are checked like
// any other; the Attachment says what it is attached to, how the archive
// says so, and what its payloads claim.
type Attachment struct {
	// Image is the position in Result.Images of the attachment's own
	// manifest; nil when the attachment is an index.
	Image *int `json:"image,omitempty"`
	// ManifestDigest is the digest of the attachment's manifest (or
	// index) bytes.
	ManifestDigest digest.Digest `json:"manifest_digest"`
	// Kind is what the attachment is, from its content where it shows it
	// (cosign signature and DSSE layers), else from its tag or artifact
	// type.
	Kind AttachmentKind `json:"kind"`
	// Format names it within its kind: "cosign" for a cosign signature,
	// "in-toto" for an attestation, "SPDX" or "CycloneDX" for an SBOM, the
	// artifact type of another referrer.
	Format string `json:"format"`
	// ArtifactType is the manifest's artifactType, else its config media
	// type, as the OCI 1.1 referrers API reports it; "" for an index
	// without one.
	ArtifactType string `json:"artifact_type,omitempty"`
	// Subject is the digest of the manifest or index the attachment is
	// about.
	Subject digest.Digest `json:"subject"`
	// SubjectStatus says what Subject is in this archive.
	SubjectStatus SubjectStatus `json:"subject_status"`
	// SubjectImage is the position of Subject's image, when it is an
	// image (or the manifest of another attachment).
	SubjectImage *int `json:"subject_image,omitempty"`
	// Links lists every way the archive ties the attachment to a subject,
	// in the order they are trusted; the first names Subject.
	Links []AttachmentLink `json:"links"`
	// Signatures are the cosign signatures of a signature manifest, one
	// per layer.
	Signatures []Signature `json:"signatures,omitempty"`
	// Attestations are the DSSE envelopes of an attestation manifest, one
	// per layer.
	Attestations []Attestation `json:"attestations,omitempty"`
}

// AttachmentKind is what an attachment is.
type AttachmentKind string

// Attachment kinds.
const (
	KindSignature   AttachmentKind = "signature"   // cosign .sig, or a signature referrer (Notary, sigstore bundle)
	KindAttestation AttachmentKind = "attestation" // cosign .att: DSSE envelopes of in-toto statements
	KindSBOM        AttachmentKind = "sbom"        // cosign .sbom (cosign attach sbom), or an SBOM referrer
	KindReferrer    AttachmentKind = "referrer"    // any other OCI 1.1 referrer
)

// SubjectStatus says what an attachment's subject is in the archive.
type SubjectStatus string

// Subject statuses.
const (
	// SubjectIsImage: the subject is an image of the archive.
	SubjectIsImage SubjectStatus = "image"
	// SubjectIsIndex: the subject is an image index of the archive.
	SubjectIsIndex SubjectStatus = "index"
	// SubjectIsAttachment: the subject is another attachment (a signature
	// of an SBOM), which leads to an image or index in the end.
	SubjectIsAttachment SubjectStatus = "attachment"
	// SubjectAbsent: the subject, or the end of the chain of attachments,
	// is not in the archive: the attachment dangles.
	SubjectAbsent SubjectStatus = "absent"
	// SubjectInCycle: attachments that are about each other and never
	// reach an image.
	SubjectInCycle SubjectStatus = "cycle"
)

// AttachmentLink is one way an archive ties an attachment to a subject.
type AttachmentLink struct {
	// Via is the convention: see the Via constants.
	Via Via `json:"via"`
	// Where says where it was read: the tag, the annotation, the
	// referrers index.
	Where string `json:"where"`
	// Subject is the digest the link names.
	Subject digest.Digest `json:"subject"`
	// Tag is the tag of a cosign tag or referrers tag link.
	Tag string `json:"tag,omitempty"`
}

// Via is a convention that links an attachment to its subject.
type Via string

// Link conventions, in the order they are trusted.
const (
	// ViaSubjectField is the OCI 1.1 subject descriptor of the manifest.
	ViaSubjectField Via = "subject_field"
	// ViaTag is a cosign tag, sha256-<hex>.sig, .att or .sbom.
	ViaTag Via = "tag"
	// ViaReferrersTag is an entry of the referrers tag index
	// sha256-<hex> (the OCI 1.1 fallback for registries without the
	// referrers API).
	ViaReferrersTag Via = "referrers_tag"
	// ViaCosignSave is cosign save's "kind" annotation in index.json,
	// which names no subject: it is the layout's one image (or index).
	ViaCosignSave Via = "cosign_save"
	// ViaPayload is what a signature payload or an in-toto statement
	// names, when nothing else links the attachment.
	ViaPayload Via = "payload"
)

// PayloadStatus is the check of what a signed payload names against the
// attachment's subject.
type PayloadStatus string

// Payload statuses.
const (
	PayloadMatches     PayloadStatus = "matches"     // names the subject
	PayloadMismatch    PayloadStatus = "mismatch"    // names another digest
	PayloadMalformed   PayloadStatus = "malformed"   // cannot be read
	PayloadAbsent      PayloadStatus = "absent"      // its blob is not in the archive
	PayloadUnsupported PayloadStatus = "unsupported" // not a format tardigest reads
)

// Signature is one cosign signature: a layer of a signature manifest,
// whose bytes are a simple-signing payload and whose annotation
// dev.cosignproject.cosign/signature holds the signature over them.
type Signature struct {
	// Layer is the layer's position in the signature manifest.
	Layer int `json:"layer"`
	// PayloadDigest is the digest of the payload blob.
	PayloadDigest digest.Digest `json:"payload_digest,omitempty"`
	// DockerManifestDigest is the payload's
	// critical.image.docker-manifest-digest: the digest the signer signed.
	DockerManifestDigest digest.Digest `json:"docker_manifest_digest,omitempty"`
	// DockerReference is the payload's critical.identity.docker-reference.
	DockerReference string `json:"docker_reference,omitempty"`
	// Payload says whether DockerManifestDigest is the subject's digest.
	Payload PayloadStatus `json:"payload"`
	// Keyless is set when the layer carries a Fulcio certificate: the
	// signature was made without a key (see docs/keyless.md).
	Keyless bool `json:"keyless,omitempty"`
	// Check is the signature's verdict against the key given.
	Check SignatureCheck `json:"check"`
}

// Attestation is one attestation: a layer of an attestation manifest, a
// DSSE envelope around an in-toto statement.
type Attestation struct {
	// Layer is the layer's position in the attestation manifest.
	Layer int `json:"layer"`
	// EnvelopeDigest is the digest of the DSSE envelope blob.
	EnvelopeDigest digest.Digest `json:"envelope_digest,omitempty"`
	// PayloadType is the envelope's payloadType.
	PayloadType string `json:"payload_type,omitempty"`
	// StatementType and PredicateType are the statement's _type and
	// predicateType.
	StatementType string `json:"statement_type,omitempty"`
	PredicateType string `json:"predicate_type,omitempty"`
	// Predicate names the predicate type in words ("SLSA provenance",
	// "SPDX SBOM"), or is the predicate type itself.
	Predicate string `json:"predicate,omitempty"`
	// Subjects are the statement's subjects.
	Subjects []StatementSubject `json:"subjects,omitempty"`
	// Payload says whether a subject's digest is the attachment's
	// subject.
	Payload PayloadStatus `json:"payload"`
	// Checks are the verdicts of the envelope's signatures, in order.
	Checks []SignatureCheck `json:"checks"`
}

// StatementSubject is one subject of an in-toto statement.
type StatementSubject struct {
	Name string `json:"name"`
	// Digests are its sha256 and sha512 digests; other algorithms are
	// left out.
	Digests []digest.Digest `json:"digests"`
}

// SignatureCheck is the verdict on one signature.
type SignatureCheck struct {
	Status SignatureStatus `json:"status"`
	// Key names the key that verified it (Options.Key's Name).
	Key string `json:"key,omitempty"`
	// Algorithm is how it verified.
	Algorithm signature.Algorithm `json:"algorithm,omitempty"`
}

// SignatureStatus is the verdict on one signature.
type SignatureStatus string

// Signature statuses.
const (
	SignatureVerified   SignatureStatus = "verified"    // by the key given
	SignatureNotByKey   SignatureStatus = "not_by_key"  // not the key's: another key's, or damaged
	SignatureNotChecked SignatureStatus = "not_checked" // no key was given
	SignatureMissing    SignatureStatus = "missing"     // no signature where one belongs
	SignatureMalformed  SignatureStatus = "malformed"   // not base64
)

// SignedBy is a signature by the key given that covers an image: its
// payload names the image's manifest, or an index above it, and it
// verified.
type SignedBy struct {
	// Attachment is the position of the signature in Result.Attachments;
	// Layer its layer.
	Attachment int `json:"attachment"`
	Layer      int `json:"layer"`
	// Digest is what the signed payload names: the image's manifest
	// digest or the digest of an index above it.
	Digest    digest.Digest       `json:"digest"`
	Key       string              `json:"key"`
	Algorithm signature.Algorithm `json:"algorithm"`
}
