package tree

import (
	"strings"
)

// OS is what the image's os-release file says (see os-release(5)).
type OS struct {
	PrettyName string `json:"pretty_name,omitempty"`
	ID         string `json:"id,omitempty"`
	VersionID  string `json:"version_id,omitempty"`
	// Path is the file read, after symbolic links (inside the image), and
	// Layer the layer that holds it.
	Path  string `json:"path"`
	Layer int    `json:"layer"`
	// Unread says why the file's content is not known: it was not
	// captured while walking its layer (it is not one of OSReleasePaths).
	Unread string `json:"unread,omitempty"`
}

// findOS reads /etc/os-release, or /usr/lib/os-release when the first
// does not exist, through symbolic links inside the image root. Only
// the first one that exists is read, as os-release(5) says.
func (img *Image) findOS() *OS {
	for _, p := range OSReleasePaths {
		hops := 0
		n, ok := img.resolve(0, []byte(p), true, &hops)
		if !ok || img.nodes[n].flags&mDir != 0 {
			continue
		}
		cl, ce, ok := img.content(n)
		if !ok || img.layers[cl].entries.at(int(ce)).kind != kFile {
			continue
		}
		os := &OS{Path: img.path(n), Layer: cl}
		body, ok := img.layers[cl].captured[ce]
		if !ok {
			os.Unread = "not captured while walking the layer"
			return os
		}
		vars := ParseOSRelease(body)
		os.PrettyName, os.ID, os.VersionID = vars["PRETTY_NAME"], vars["ID"], vars["VERSION_ID"]
		return os
	}
	return nil
}

// ParseOSRelease reads os-release(5) assignments: one VAR=VALUE a line,
// blank lines and lines starting with "#" ignored, values unquoted or in
// single quotes (literal) or double quotes (where a backslash escapes
// "$", "`", a double quote, a backslash or a newline), a backslash
// outside quotes escaping the next character. A later assignment of the
// same variable wins. Lines that are not assignments are skipped.
func ParseOSRelease(data []byte) map[string]string {
	vars := map[string]string{}
	s := string(data)
	for len(s) > 0 {
		var line string
		line, s = nextAssignment(s)
		line = strings.TrimLeft(line, " \t")
		if line == "" || line[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok || !validVarName(key) {
			continue
		}
		vars[key] = shellValue(raw)
	}
	return vars
}

// nextAssignment splits off the first logical line: a newline inside
// quotes or after a backslash does not end it.
func nextAssignment(s string) (string, string) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quote != '\'':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '\n':
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func validVarName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shellValue reads a value as sh does, without expansion; unquoted
// white space ends it.
func shellValue(raw string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				b.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(raw) && strings.IndexByte("$`\"\\\n", raw[i+1]) >= 0:
				i++
				if raw[i] != '\n' {
					b.WriteByte(raw[i])
				}
			default:
				b.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\' && i+1 < len(raw):
			i++
			if raw[i] != '\n' {
				b.WriteByte(raw[i])
			}
		case c == ' ' || c == '\t' || c == '#' && b.Len() == 0:
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
