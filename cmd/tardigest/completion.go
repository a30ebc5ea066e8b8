package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Completion scripts call the program back with
// --generate-bash-completion, urfave/cli's protocol.
const bashCompletion = `# bash completion for tardigest; source it or put it in
# /etc/bash_completion.d/tardigest
_tardigest_complete() {
  local cur words
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    words=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _tardigest_complete tardigest
`

const zshCompletion = `#compdef tardigest
# zsh completion for tardigest; put it on $fpath as _tardigest
_tardigest() {
  local -a opts
  opts=("${(@f)$(${words[@]:0:#words[@]-1} ${words[-1]} --generate-bash-completion 2>/dev/null)}")
  if [[ -n "${opts[1]}" ]]; then
    _describe 'values' opts
  fi
  _files
}
compdef _tardigest tardigest
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: `Examples:
   source <(tardigest completion bash)
   tardigest completion zsh > "${fpath[1]}/_tardigest"
   tardigest completion fish > ~/.config/fish/completions/tardigest.fish`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{fmt.Errorf("completion takes one shell name: bash, zsh or fish")}
			}
			var script string
			switch c.Args().First() {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				script = s
			default:
				return usageError{fmt.Errorf("completion: unknown shell %q (bash, zsh or fish)", c.Args().First())}
			}
			_, err := fmt.Fprint(c.App.Writer, script)
			return err
		},
	}
}
