package compare

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Kinds of change.
const (
	Added    = "added"
	Removed  = "removed"
	Modified = "modified"
)

// ConfigChange is one key of the image config that differs. Keys are
// the config's fields in snake case (entrypoint, cmd, working_dir, user,
// stop_signal, architecture, os, variant, created, ...) and, for maps,
// one key per member: "env.PATH", "labels.org.opencontainers.image.version",
// "exposed_ports.80/tcp", "volumes./data". A and B are the values as
// written (lists and objects as compact JSON); the side a key is absent
// from is empty.
type ConfigChange struct {
	Key    string `json:"key"`
	Change string `json:"change"`
	A      string `json:"a,omitempty"`
	B      string `json:"b,omitempty"`
}

// imageConfig is the part of an image config that is compared.
type imageConfig struct {
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	OSVersion    string          `json:"os.version"`
	Variant      string          `json:"variant"`
	Created      string          `json:"created"`
	Author       string          `json:"author"`
	Config       containerConfig `json:"config"`
}

type containerConfig struct {
	User         string              `json:"User"`
	Env          []string            `json:"Env"`
	Entrypoint   json.RawMessage     `json:"Entrypoint"`
	Cmd          json.RawMessage     `json:"Cmd"`
	WorkingDir   string              `json:"WorkingDir"`
	Labels       map[string]string   `json:"Labels"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	Volumes      map[string]struct{} `json:"Volumes"`
	StopSignal   string              `json:"StopSignal"`
	Healthcheck  json.RawMessage     `json:"Healthcheck"`
	Shell        json.RawMessage     `json:"Shell"`
	OnBuild      json.RawMessage     `json:"OnBuild"`
}

// configDiff compares the two images' configs, key by key, sorted by
// key; the string is why they could not be, if so.
func configDiff(a, b Side) ([]ConfigChange, string) {
	ka, err := configKeys(a)
	if err != nil {
		return []ConfigChange{}, "A: " + err.Error()
	}
	kb, err := configKeys(b)
	if err != nil {
		return []ConfigChange{}, "B: " + err.Error()
	}
	out := []ConfigChange{}
	for k, va := range ka {
		vb, ok := kb[k]
		switch {
		case !ok:
			out = append(out, ConfigChange{Key: k, Change: Removed, A: va})
		case va != vb:
			out = append(out, ConfigChange{Key: k, Change: Modified, A: va, B: vb})
		}
	}
	for k, vb := range kb {
		if _, ok := ka[k]; !ok {
			out = append(out, ConfigChange{Key: k, Change: Added, B: vb})
		}
	}
	slices.SortFunc(out, func(x, y ConfigChange) int { return strings.Compare(x.Key, y.Key) })
	return out, ""
}

// configKeys flattens the compared fields of a side's config into keys;
// empty fields are absent. A side with no config (written before Docker
// 1.10) has no keys.
func configKeys(s Side) (map[string]string, error) {
	if s.Result.Images[s.Image].ImageID == "" {
		return map[string]string{}, nil
	}
	data, err := s.Result.ConfigBytes(s.Image)
	if err != nil {
		return nil, err
	}
	var c imageConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	keys := map[string]string{}
	set := func(k, v string) {
		if v != "" && v != "null" {
			keys[k] = v
		}
	}
	set("architecture", c.Architecture)
	set("os", c.OS)
	set("os_version", c.OSVersion)
	set("variant", c.Variant)
	set("created", c.Created)
	set("author", c.Author)
	cc := c.Config
	set("user", cc.User)
	set("working_dir", cc.WorkingDir)
	set("stop_signal", cc.StopSignal)
	set("entrypoint", compact(cc.Entrypoint))
	set("cmd", compact(cc.Cmd))
	set("healthcheck", compact(cc.Healthcheck))
	set("shell", compact(cc.Shell))
	set("on_build", compact(cc.OnBuild))
	for _, e := range cc.Env {
		name, value, _ := strings.Cut(e, "=")
		keys["env."+name] = value
	}
	for k, v := range cc.Labels {
		keys["labels."+k] = v
	}
	for k := range cc.ExposedPorts {
		keys["exposed_ports."+k] = "yes"
	}
	for k := range cc.Volumes {
		keys["volumes."+k] = "yes"
	}
	return keys, nil
}

// compact is a JSON value on one line.
func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b strings.Builder
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return string(raw)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
