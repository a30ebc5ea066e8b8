package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/tardigest/tardigest/report"
)

func wasteCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "waste",
		Usage:     "show the space an image wastes on bytes later layers hide, and check dive's CI rules",
		ArgsUsage: "ARCHIVE",
		Description: `First the exact bytes squashing the image would save: files stored in a
layer and not visible at the end, because a later layer overwrote them or
deleted them (whiteouts, opaque directories), with the paths that hold the
most, how many layers wrote each and which (numbered base first).

Then dive's numbers, with dive's own definitions (v0.13.1) and in dive
--ci's words, so that thresholds written for dive keep their meaning:
efficiency, wasted bytes (which counts the visible copy too) and the
wasted share of the bytes above the first layer, and dive's inefficient
files.

--ci evaluates dive's CI rules, each with dive's default unless given:
--lowest-efficiency (0.9), --highest-wasted-bytes (disabled) and
--highest-user-wasted-percent (0.1); "disabled" turns a rule off. Values
are as dive takes them: ratios between 0 and 1 (0.1 is ten percent) and
sizes such as 20MB (20,000,000 bytes) or 20MiB. --ci-config reads them
from a dive .dive-ci YAML file (rules: lowestEfficiency, ...); without it,
--ci reads ./.dive-ci when there is one, as dive does. A flag given on the
command line wins over the file. Any rule flag implies --ci. Exits 1 when a
rule fails, 2 when a value is not one dive accepts.

Examples:
   tardigest waste image.tar
   tardigest waste --ci --lowest-efficiency 0.8 --highest-wasted-bytes 20MB --highest-user-wasted-percent 0.7 image.tar
   tardigest waste --ci-config .dive-ci -o json image.tar | jq .rules`,
		Flags: flags(outputFlags(), []cli.Flag{
			&cli.BoolFlag{Name: "ci", Usage: "evaluate dive's CI rules; exit 1 when one fails"},
			&cli.StringFlag{Name: "ci-config", Usage: "read dive's CI rules from the YAML `FILE` (.dive-ci)"},
			&cli.StringFlag{Name: "lowest-efficiency", Usage: "dive's lowestEfficiency `RATIO` (default 0.9 with --ci)"},
			&cli.StringFlag{Name: "highest-wasted-bytes", Usage: "dive's highestWastedBytes `SIZE` (default disabled)"},
			&cli.StringFlag{Name: "highest-user-wasted-percent", Usage: "dive's highestUserWastedPercent `RATIO` (default 0.1 with --ci)"},
			&cli.IntFlag{Name: "top", Value: 10, Usage: "list the `N` paths that waste most (0: all listed, up to 100)"},
		}, readFlags()),
		Action: func(c *cli.Context) error { return runWaste(c, e) },
	}
}

func runWaste(c *cli.Context, e env) error {
	output, err := outputMode(c)
	if err != nil {
		return err
	}
	rules, err := ciRules(c)
	if err != nil {
		return usageError{err}
	}
	res, src, image, err := load(c, e)
	if err != nil {
		return err
	}
	if image, err = contentImage(res, image); err != nil {
		return err
	}
	if _, err := res.Filesystem(image); err != nil {
		return err
	}
	doc := report.BuildWaste(res.Images[image], image, src, rules)
	switch output {
	case "json":
		err = report.JSONValue(c.App.Writer, doc)
	case "format":
		err = report.Template(c.App.Writer, c.String("format"), doc)
	default:
		err = report.Waste(c.App.Writer, doc, c.Int("top"))
	}
	if err != nil {
		return err
	}
	if doc.Pass != nil && !*doc.Pass {
		return exitError{code: exitMismatch}
	}
	return nil
}

// diveRules are dive's CI rules: the flag that sets each, and dive's
// default.
var diveRules = []struct{ name, flag, def string }{
	{report.RuleLowestEfficiency, "lowest-efficiency", "0.9"},
	{report.RuleHighestWastedBytes, "highest-wasted-bytes", "disabled"},
	{report.RuleHighestUserWastedPercent, "highest-user-wasted-percent", "0.1"},
}

// ciRules returns the rules to evaluate, none without --ci (or a rule
// flag, or --ci-config): each rule's value from its flag, else the
// config file, else dive's default, then validated as dive validates it.
func ciRules(c *cli.Context) ([]report.CIRule, error) {
	on := c.Bool("ci") || c.IsSet("ci-config")
	for _, r := range diveRules {
		on = on || c.IsSet(r.flag)
	}
	if !on {
		return nil, nil
	}
	file, err := ciConfig(c.String("ci-config"))
	if err != nil {
		return nil, err
	}
	var rules []report.CIRule
	for _, r := range diveRules {
		setting, ok := file[strings.ToLower(r.name)]
		if c.IsSet(r.flag) {
			setting, ok = c.String(r.flag), true
		}
		if !ok {
			setting = r.def
		}
		rule, err := parseRule(r.name, setting)
		if err != nil {
			return nil, err
		}
		rules = append(rules, rule)
	}
	return rules, nil
}

// parseRule reads a rule's value as dive does: "disabled", or a ratio in
// [0, 1] (strconv.ParseFloat), or for highestWastedBytes a size
// (go-humanize's ParseBytes, which dive uses).
func parseRule(name, setting string) (report.CIRule, error) {
	rule := report.CIRule{Name: name, Setting: setting}
	if setting == "disabled" {
		rule.Disabled = true
		return rule, nil
	}
	if name == report.RuleHighestWastedBytes {
		n, err := humanize.ParseBytes(setting)
		if err != nil {
			return rule, fmt.Errorf("%s: invalid config value (%q): %v", name, setting, err)
		}
		rule.Threshold = float64(n)
		return rule, nil
	}
	f, err := strconv.ParseFloat(setting, 64)
	if err != nil {
		return rule, fmt.Errorf("%s: invalid config value (%q): %v", name, setting, err)
	}
	if f < 0 || f > 1 {
		return rule, fmt.Errorf("%s config value is outside allowed range (0-1), given '%s'", name, setting)
	}
	rule.Threshold = f
	return rule, nil
}

// maxCIConfigBytes caps a .dive-ci file: a few lines of YAML.
const maxCIConfigBytes = 1 << 20

// ciConfig reads the rules of a dive CI file, keys in lower case (viper,
// which dive reads it with, ignores case), values as viper's GetString
// gives them. Without a name, ./.dive-ci is read when it exists.
func ciConfig(name string) (map[string]string, error) {
	explicit := name != ""
	if !explicit {
		name = ".dive-ci"
	}
	data, err := readCapped(name, maxCIConfigBytes)
	switch {
	case errors.Is(err, os.ErrNotExist) && !explicit:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("--ci-config: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("--ci-config %s: %v", name, err)
	}
	out := map[string]string{}
	for k, v := range doc {
		rules, ok := v.(map[string]any)
		if !ok || !strings.EqualFold(k, "rules") {
			continue
		}
		for rk, rv := range rules {
			out[strings.ToLower(rk)] = yamlString(rv)
		}
	}
	return out, nil
}

// yamlString formats a YAML scalar as viper's GetString does.
func yamlString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}
