package tarball

import (
	"encoding/json"
	"fmt"
	"time"
)

// dockerImageJSON has the types docker load decodes an image config into
// (moby's image.Image with its V1Image, History and container.Config):
// encoding/json fails on a value of another type in any of them (a
// "created" that is no RFC 3339 time, an Env that is no list of
// strings), and docker load with it, whatever the digests say. Keys match
// as encoding/json matches them, ignoring case, as docker's do.
type dockerImageJSON struct {
	ID              string                 `json:"id"`
	Parent          string                 `json:"parent"`
	Comment         string                 `json:"comment"`
	Created         *time.Time             `json:"created"`
	Container       string                 `json:"container"`
	ContainerConfig *dockerContainerConfig `json:"container_config"`
	DockerVersion   string                 `json:"docker_version"`
	Author          string                 `json:"author"`
	Config          *dockerContainerConfig `json:"config"`
	Architecture    string                 `json:"architecture"`
	Variant         string                 `json:"variant"`
	OS              string                 `json:"os"`
	Size            int64                  `json:"size"`
	RootFS          *struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created    *time.Time `json:"created"`
		Author     string     `json:"author"`
		CreatedBy  string     `json:"created_by"`
		Comment    string     `json:"comment"`
		EmptyLayer bool       `json:"empty_layer"`
	} `json:"history"`
	OSVersion  string   `json:"os.version"`
	OSFeatures []string `json:"os.features"`
}

// dockerContainerConfig is moby's container.Config, by type; its keys
// are the field names.
type dockerContainerConfig struct {
	Hostname, Domainname, User              string
	AttachStdin, AttachStdout, AttachStderr bool
	ExposedPorts                            map[string]struct{}
	Tty, OpenStdin, StdinOnce               bool
	Env                                     []string
	Cmd, Entrypoint, Shell                  dockerStrSlice
	Healthcheck                             *dockerHealthConfig
	ArgsEscaped, NetworkDisabled            bool
	Image, WorkingDir, StopSignal           string
	Volumes                                 map[string]struct{}
	OnBuild                                 []string
	Labels                                  map[string]string
	StopTimeout                             *int
}

// dockerHealthConfig is moby's container.HealthConfig: durations are
// integer nanoseconds.
type dockerHealthConfig struct {
	Test                                          []string
	Interval, Timeout, StartPeriod, StartInterval int64
	Retries                                       int
}

// dockerStrSlice is moby's strslice.StrSlice: a list of strings, or one
// string.
type dockerStrSlice []string

// UnmarshalJSON accepts a list of strings or a string, as moby does.
func (s *dockerStrSlice) UnmarshalJSON(b []byte) error {
	var list []string
	if err := json.Unmarshal(b, &list); err == nil {
		*s = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*s = []string{one}
	return nil
}

// dockerTypesErr returns why docker load would fail to decode the image
// config data, or nil.
func dockerTypesErr(data []byte) error {
	var img dockerImageJSON
	if err := json.Unmarshal(data, &img); err != nil {
		return fmt.Errorf("%w: docker load cannot decode it: %v", ErrMalformed, err)
	}
	return nil
}
