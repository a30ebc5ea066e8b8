package report

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that could move the cursor,
// recolour, erase or reorder what a terminal shows written as a Go-style
// escape: C0 and C1 controls and DEL (\n, \t, \x1b, \u009b), Unicode format
// characters (bidi overrides such as \u202e, zero-width characters) and
// line and paragraph separators; a byte that is not UTF-8 becomes \xff.
// Every string from an archive (a tag, a name, a created_by, a path, a
// message quoting them) goes through it before text, tables and
// templates print it, so none can fake a line such as "verified" or hide
// the verdict. JSON output is exact instead: encoding/json escapes what
// matters there.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether Escape would change s; printable ASCII,
// nearly everything printed, is decided byte by byte.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			for _, r := range s {
				if r == utf8.RuneError || unsafeRune(r) {
					return true
				}
			}
			return false
		}
	}
	return false
}

// unsafeRune reports a control, format or separator character.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// escaped returns args with every string-kinded value (a string, a
// digest, a name type) escaped, for printing with a format of ours.
func escaped(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		if v := reflect.ValueOf(a); v.IsValid() && v.Kind() == reflect.String {
			out[i] = Escape(v.String())
		}
	}
	return out
}

// fprintf is fmt.Fprintf with every string argument escaped: the format
// is ours, the arguments may come from the archive.
func fprintf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, escaped(args)...)
}

// escapeActions makes a --format template print archive strings
// escaped while its own text, and the strings it makes of constants
// ({{"\n"}}, println, printf's format), are kept. Every value the
// template reads from the data (a field, a method, a variable, dot)
// passes through escapeData, which escapes a string, and the strings of a
// slice or map of strings; a value it prints that is no string (a struct,
// a list) is printed and escaped as a whole by escapeOutput. The json
// function reads values unescaped: encoding/json escapes every control
// character itself, and the characters it leaves raw (bidi controls)
// are written as JSON escapes: its output is the same JSON.
func escapeActions(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			escapeNode(tt.Tree.Root)
		}
	}
}

// Names of the functions escapeActions calls.
const (
	escapeDataFunc   = "_tardigest_escape_data"
	escapeOutputFunc = "_tardigest_escape_output"
)

func escapeNode(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			escapeNode(c)
		}
	case *parse.ActionNode:
		escapePipe(n.Pipe)
		if len(n.Pipe.Decl) == 0 {
			n.Pipe.Cmds = append(n.Pipe.Cmds, command(n.Pos, parse.NewIdentifier(escapeOutputFunc).SetPos(n.Pos)))
		}
	case *parse.IfNode:
		escapeBranch(&n.BranchNode)
	case *parse.RangeNode:
		escapeBranch(&n.BranchNode)
	case *parse.WithNode:
		escapeBranch(&n.BranchNode)
	case *parse.TemplateNode:
		escapePipe(n.Pipe)
	}
}

func escapeBranch(b *parse.BranchNode) {
	escapePipe(b.Pipe)
	escapeNode(b.List)
	escapeNode(b.ElseList)
}

// escapePipe routes every data argument of a pipeline's commands through
// escapeData. The first argument of a command that has others is what is
// called: a function is left alone, and a method's result is routed
// through escapeData instead.
func escapePipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for k, c := range p.Cmds {
		if isJSON(c) || k+1 < len(p.Cmds) && isJSON(p.Cmds[k+1]) {
			continue // json reads the data exact, and escapes it itself
		}
		escapeArgs(c)
		switch c.Args[0].(type) {
		case *parse.FieldNode, *parse.ChainNode, *parse.VariableNode:
			if len(c.Args) > 1 {
				p.Cmds[k] = command(c.Pos, &parse.PipeNode{NodeType: parse.NodePipe, Pos: c.Pos, Cmds: []*parse.CommandNode{
					c, command(c.Pos, parse.NewIdentifier(escapeDataFunc).SetPos(c.Pos)),
				}})
			}
		}
	}
}

// escapeArgs routes the data arguments of a command through escapeData.
func escapeArgs(c *parse.CommandNode) {
	for i, arg := range c.Args {
		if i == 0 && len(c.Args) > 1 {
			continue
		}
		switch arg := arg.(type) {
		case *parse.FieldNode, *parse.ChainNode, *parse.VariableNode, *parse.DotNode:
			c.Args[i] = &parse.PipeNode{NodeType: parse.NodePipe, Pos: arg.Position(), Cmds: []*parse.CommandNode{
				command(arg.Position(), arg), command(arg.Position(), parse.NewIdentifier(escapeDataFunc).SetPos(arg.Position())),
			}}
		case *parse.PipeNode:
			escapePipe(arg)
		}
	}
}

// isJSON reports a command that calls the json function.
func isJSON(c *parse.CommandNode) bool {
	id, ok := c.Args[0].(*parse.IdentifierNode)
	return ok && id.Ident == "json"
}

func command(pos parse.Pos, arg parse.Node) *parse.CommandNode {
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{arg}}
}

// escapeData escapes a value read from the data: a string, or the
// strings of a slice or map of strings; any other value is returned as
// it is, so templates can still walk structs and lists.
func escapeData(v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return v
	}
	switch {
	case rv.Kind() == reflect.String:
		if e := Escape(rv.String()); e != rv.String() {
			return e
		}
	case (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() == reflect.String:
		out := make([]string, rv.Len())
		for i := range out {
			out[i] = Escape(rv.Index(i).String())
		}
		return out
	case rv.Kind() == reflect.Map && rv.Type().Elem().Kind() == reflect.String && rv.Type().Key().Kind() == reflect.String:
		out := make(map[string]string, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[Escape(it.Key().String())] = Escape(it.Value().String())
		}
		return out
	}
	return v
}

// escapeOutput is what an action prints: a string as it is (its data
// parts are escaped already, the rest is the template's own), any other
// value printed as text/template prints it, then escaped.
func escapeOutput(v any) any {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return "<no value>"
	}
	if rv.Kind() == reflect.String {
		return v
	}
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		if _, ok := rv.Interface().(fmt.Stringer); ok {
			break
		}
		if _, ok := rv.Interface().(error); ok {
			break
		}
		rv = rv.Elem()
	}
	return Escape(fmt.Sprint(rv.Interface()))
}
