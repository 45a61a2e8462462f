package pdk

import (
	"encoding/json"
	"fmt"

	"github.com/llmhost/llmhost/abi"
)

// config is what the host granted through llmhost_configure.
var config abi.Config

// Config returns the value of key in the configuration the host granted the
// plugin (llmhost's WithConfig; `llmhost plugin call --config k=v`). The
// environment is not a configuration channel: plugins get none by default.
func Config(key string) (string, bool) {
	v, ok := config[key]
	return v, ok
}

func configure(input []byte) error {
	var c abi.Config
	if len(input) > 0 {
		if err := json.Unmarshal(input, &c); err != nil {
			return fmt.Errorf("pdk: malformed configuration: %v", err)
		}
	}
	config = c
	return nil
}
