package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionFlag is the flag urfave/cli reads, last on the line, to
// print completions.
const completionFlag = "--generate-bash-completion"

// flagsFirst lets flags follow arguments, as docker, skopeo and crane
// accept them (tardigest verify x.tar -o json): urfave/cli v2 stops
// reading flags at the first argument, so the command's own flags, each
// with its value, are moved before its arguments. Everything after "--"
// stays an argument. An unknown command is a usage error that suggests
// the nearest one.
func flagsFirst(app *cli.App, args []string) ([]string, error) {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" {
		i++ // the app's own flags: --help, --version, take no value
	}
	if i >= len(args) {
		return args, nil
	}
	name := args[i]
	cmd := app.Command(name)
	if cmd == nil {
		if name == "help" || name == "h" {
			return args, nil
		}
		return nil, unknownCommand(app, name)
	}
	rest := args[i+1:]
	completing := len(rest) > 0 && rest[len(rest)-1] == completionFlag
	if completing {
		rest = rest[:len(rest)-1]
	}
	var flags, operands []string
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			operands = append(operands, rest[j+1:]...)
			j = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			if takesValue(cmd, a) && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		default:
			operands = append(operands, a)
		}
	}
	out := append(append([]string{}, args[:i+1]...), flags...)
	if slices.ContainsFunc(operands, func(s string) bool { return strings.HasPrefix(s, "-") && s != "-" }) {
		out = append(out, "--") // an archive named -x.tar stays an argument
	}
	out = append(out, operands...)
	if completing {
		out = append(out, completionFlag)
	}
	return out, nil
}

// takesValue reports whether arg ("-o", "--output", not "--output=json")
// is a flag of cmd that reads the next argument as its value.
func takesValue(cmd *cli.Command, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			v, ok := f.(cli.DocGenerationFlag)
			return ok && v.TakesValue()
		}
	}
	return false
}

// unknownCommand is the usage error for a command that does not exist,
// with the nearest command, or a hint for an archive named first.
func unknownCommand(app *cli.App, name string) error {
	err := usageError{fmt.Errorf("unknown command %q", name)}
	if _, statErr := os.Stat(name); statErr == nil {
		return hintError{err, fmt.Sprintf("name a command before the archive, such as 'tardigest inspect %s'; 'tardigest --help' lists them", name)}
	}
	best, bestDist := "", 3 // suggest only within two edits, or a prefix
	for _, c := range app.Commands {
		for _, n := range c.Names() {
			d := editDistance(name, n)
			if len(name) >= 2 && strings.HasPrefix(n, name) {
				d = 1
			}
			if d < bestDist {
				best, bestDist = c.Name, d
			}
		}
	}
	if best == "" {
		return hintError{err, "'tardigest --help' lists the commands"}
	}
	return hintError{err, fmt.Sprintf("did you mean 'tardigest %s'? ('tardigest --help' lists the commands)", best)}
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
