package tarball

import "regexp"

// The grammar of docker references (distribution/reference), which
// docker load parses every RepoTags entry with.
var reRepoTag = func() *regexp.Regexp {
	const (
		alnum     = `[a-z0-9]+`
		separator = `(?:[._]|__|[-]+)`
		component = alnum + `(?:` + separator + alnum + `)*`
		domainCmp = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
		domain    = `(?:` + domainCmp + `(?:\.` + domainCmp + `)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?`
		name      = `(?:` + domain + `/)?` + component + `(?:/` + component + `)*`
		tag       = `[\w][\w.-]{0,127}`
		dgst      = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	)
	return regexp.MustCompile(`^` + name + `:` + tag + `(?:@` + dgst + `)?$`)
}()

// validRepoTag reports whether docker load accepts s as a RepoTags
// entry: a name in the reference grammar, at most 255 bytes, with a
// tag. docker load refuses the whole archive otherwise (it parses the
// name and needs a tag: "invalid tag").
func validRepoTag(s string) bool {
	if !reRepoTag.MatchString(s) {
		return false
	}
	name := s
	if i := indexTagColon(s); i >= 0 {
		name = s[:i]
	}
	return len(name) <= 255
}

// indexTagColon returns the position of the colon before the tag: the
// last colon after the last slash.
func indexTagColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case '/':
			return -1
		case ':':
			return i
		}
	}
	return -1
}
