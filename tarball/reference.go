package tarball

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"
)

// The grammar of an image reference, as the distribution project defines
// it (docker, containerd, skopeo and podman all parse with it):
//
//	reference        := name [ ":" tag ] [ "@" digest ]
//	name             := [ domain "/" ] path-component { "/" path-component }
//	domain           := host [ ":" port ]
//	host             := domain-name | "[" IPv6 "]"
//	domain-name      := domain-part { "." domain-part }
//	domain-part      := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//	path-component   := [a-z0-9]+ { separator [a-z0-9]+ }
//	separator        := [_.] | "__" | "-"+
//	tag              := [\w][\w.-]{0,127}
//	digest           := algorithm ":" hex (at least 32 hex digits)
//
// A name is at most 255 characters.
const (
	refPathComponent = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
	refDomainPart    = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	refHost          = `(?:` + refDomainPart + `(?:\.` + refDomainPart + `)*|\[[a-fA-F0-9:]+\])`
	refDomain        = refHost + `(?::[0-9]+)?`
	refTag           = `[\w][\w.-]{0,127}`
	refDigest        = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	refName          = `(?:` + refDomain + `/)?` + refPathComponent + `(?:/` + refPathComponent + `)*`
	refMaxNameLength = 255
)

var (
	reReference = regexp.MustCompile(`^(` + refName + `)(?::(` + refTag + `))?(?:@(` + refDigest + `))?$`)
	reTag       = regexp.MustCompile(`^` + refTag + `$`)
)

// Reference is an image reference parsed by the distribution grammar,
// such as "registry.example.com:5000/team/tiny:1.0" or
// "busybox@sha256:…". Fields hold the parts as written.
type Reference struct {
	// Repository is the name without tag or digest, with its domain as
	// written, if any: "localhost/tiny", "busybox".
	Repository string
	// Tag is the tag, "" when none is written.
	Tag string
	// Digest is the digest, "" when none is written.
	Digest digest.Digest
}

// ParseReference parses s by the distribution reference grammar. The
// error, of class ErrMalformed, says why s is not a reference.
func ParseReference(s string) (Reference, error) {
	m := reReference.FindStringSubmatch(s)
	if m == nil {
		return Reference{}, fmt.Errorf("%w: %q is not an image reference", ErrMalformed, s)
	}
	if len(m[1]) > refMaxNameLength {
		return Reference{}, fmt.Errorf("%w: the name of %q is longer than %d characters", ErrMalformed, s, refMaxNameLength)
	}
	ref := Reference{Repository: m[1], Tag: m[2]}
	if m[3] != "" {
		d, err := digest.Parse(m[3])
		if err != nil {
			return Reference{}, fmt.Errorf("%w: %q: %v", ErrMalformed, s, err)
		}
		ref.Digest = d
	}
	return ref, nil
}

// ParseRefName reads an org.opencontainers.image.ref.name annotation.
// skopeo, podman and buildah write a full reference there
// ("localhost/tiny:v1"), the OCI image spec and most other tools a bare
// tag ("v1"), which stays a tag: a Reference with no Repository. ok is
// false when the value is neither; the caller shows it verbatim.
func ParseRefName(s string) (ref Reference, ok bool) {
	if reTag.MatchString(s) {
		// A tag holds no "/" or ":", so a bare tag is never read as a
		// repository ("v1" is a valid repository name too).
		return Reference{Tag: s}, true
	}
	ref, err := ParseReference(s)
	return ref, err == nil
}

// String is the reference as written: repository, ":tag", "@digest".
func (r Reference) String() string {
	s := r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// FullName is the repository fully qualified as docker reads it: a name
// whose first component is no domain (it has no "." or ":", is not
// "localhost" and is lower case) is on docker.io, and a one-component
// name on docker.io is under library/.
func (r Reference) FullName() string {
	domain, rest := "docker.io", r.Repository
	if first, after, found := strings.Cut(r.Repository, "/"); found &&
		(strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first) {
		domain, rest = first, after
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return domain + "/" + rest
}

// FamiliarName is the repository as docker shows it: fully qualified,
// then without "docker.io/", and without "library/" for an official
// image ("busybox", "tardigest/fixture", "localhost/tiny").
func (r Reference) FamiliarName() string {
	name := r.FullName()
	if rest, ok := strings.CutPrefix(name, "docker.io/"); ok {
		name = rest
		if official, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(official, "/") {
			name = official
		}
	}
	return name
}

// normalizeName turns an image reference into its fully qualified form,
// so "busybox:latest" and "docker.io/library/busybox:latest" compare
// equal; a name with neither tag nor digest is tagged "latest", as docker
// does. It returns "" for a string that is not a reference.
func normalizeName(s string) string {
	ref, err := ParseReference(s)
	if err != nil {
		return ""
	}
	if ref.Tag == "" && ref.Digest == "" {
		ref.Tag = "latest"
	}
	ref.Repository = ref.FullName()
	return ref.String()
}

// validRepoTag reports whether docker load accepts s as a RepoTags
// entry: a reference with a tag. docker load parses each entry and needs
// a tag ("invalid tag"); it refuses the archive otherwise, after loading
// the image.
func validRepoTag(s string) bool {
	ref, err := ParseReference(s)
	return err == nil && ref.Tag != ""
}
