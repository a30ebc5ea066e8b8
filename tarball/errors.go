package tarball

import (
	"errors"
	"fmt"

	"github.com/tardigest/tardigest/layer"
)

// The classes of everything that can be wrong with an archive. Every
// finding's Err and every error Open returns matches exactly one of them
// with errors.Is.
var (
	// ErrMismatch: a claim the archive makes (a digest, a size, a diffID,
	// a media type, a count) is false.
	ErrMismatch = errors.New("mismatch")
	// ErrMissing: something the archive references is not in it.
	ErrMissing = errors.New("missing")
	// ErrMalformed: the input is not a readable archive, or a document or
	// entry in it is invalid or hostile.
	ErrMalformed = errors.New("malformed")
	// ErrLimit: the input exceeds one of the Limits.
	ErrLimit = layer.ErrLimit
	// ErrUnsupported: a valid construct tardigest cannot check, such as an
	// unknown digest algorithm or schema 1 manifests.
	ErrUnsupported = layer.ErrUnsupported
)

// MismatchError is a claim that does not hold: Subject's Field was
// declared as Declared but computed as Computed.
type MismatchError struct {
	Subject  string // e.g. "image[0] layer[2]", "config"
	Field    string // e.g. "diff_id", "digest", "size"
	Declared string
	Computed string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s %s: declared %s, computed %s", e.Subject, e.Field, e.Declared, e.Computed)
}

// Is makes MismatchError match ErrMismatch.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

// Severity says whether a Finding fails verification.
type Severity string

// Severities, from worst to mildest.
const (
	// SeverityError fails verification.
	SeverityError Severity = "error"
	// SeverityWarning is odd but does not make a claim false.
	SeverityWarning Severity = "warning"
	// SeverityInfo is worth knowing and nothing more.
	SeverityInfo Severity = "info"
)

// Finding is one observation about the archive.
type Finding struct {
	Severity Severity `json:"severity"`
	// Class is the name of Err's class: mismatch, missing, malformed,
	// limit, unsupported, or info for observations.
	Class string `json:"class"`
	// Kind is a stable identifier such as "diff_id_mismatch".
	Kind string `json:"kind"`
	// Subject names what the finding is about: an entry name or a position
	// such as "image[0] layer[2]".
	Subject string `json:"subject"`
	// Image is the position in Result.Images of the image the finding
	// concerns; nil (no key in JSON) when it concerns the archive.
	Image    *int   `json:"image,omitempty"`
	Message  string `json:"message"`
	Declared string `json:"declared,omitempty"`
	Computed string `json:"computed,omitempty"`
	// Err carries the class for errors.Is; nil for info findings.
	Err error `json:"-"`
}

// classes pairs every class with its name, in the order they are tried:
// the one table of classes. ClassOf and ClassNamed give it to tests and
// other packages.
var classes = []struct {
	err  error
	name string
}{{ErrMismatch, "mismatch"}, {ErrMissing, "missing"}, {ErrMalformed, "malformed"}, {ErrLimit, "limit"}, {ErrUnsupported, "unsupported"}}

// ClassOf returns the name of err's class (mismatch, missing, malformed,
// limit or unsupported) and its sentinel, or "" and nil when err has none.
func ClassOf(err error) (string, error) {
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.name, c.err
		}
	}
	return "", nil
}

// ClassNamed returns the sentinel of the class called name (mismatch,
// missing, malformed, limit or unsupported), or nil.
func ClassNamed(name string) error {
	for _, c := range classes {
		if c.name == name {
			return c.err
		}
	}
	return nil
}

// className names err's class, or "info" when it has none, as
// Finding.Class does.
func className(err error) string {
	if name, _ := ClassOf(err); name != "" {
		return name
	}
	return "info"
}

// newFinding makes a finding of kind k; its Err carries k's class.
func newFinding(k Kind, subject string, image int, format string, args ...any) Finding {
	msg := fmt.Sprintf(format, args...)
	f := Finding{Severity: k.Severity, Kind: k.Name, Subject: subject, Image: position(image), Message: msg, Class: k.ClassName()}
	if k.Class != nil {
		f.Err = &findingError{class: k.Class, subject: subject, msg: msg}
	}
	return f
}

// position is a position that is absent when it is negative: the JSON
// convention of tardigest is that a key whose value does not exist is
// left out, never given a placeholder such as -1.
func position(i int) *int {
	if i < 0 {
		return nil // and no allocation: most findings are about no image
	}
	p := new(int)
	*p = i
	return p
}

// findingError is the Err of a finding: its subject and message, and its
// class for errors.Is. The two are joined when the error is printed, not
// kept joined: a finding holds each string once.
type findingError struct {
	class   error
	subject string
	msg     string
}

func (e *findingError) Error() string {
	if e.subject == "" {
		return e.msg
	}
	return e.subject + ": " + e.msg
}
func (e *findingError) Unwrap() error { return e.class }
