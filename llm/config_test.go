package llm

import (
	"strings"
	"testing"
)

func TestConfigResolve(t *testing.T) {
	d := Defaults{Provider: "acme", BaseURL: "https://api.acme.test/v1", BaseURLEnv: "ACME_BASE_URL", KeyEnv: "ACME_API_KEY"}

	t.Setenv("ACME_API_KEY", "")
	t.Setenv("ACME_BASE_URL", "")
	_, err := Config{}.Resolve(d)
	if KindOf(err) != KindMissingAPIKey || !strings.Contains(err.Error(), "ACME_API_KEY") {
		t.Errorf("missing key: %v", err)
	}

	t.Setenv("ACME_API_KEY", "from-env")
	cfg, err := Config{}.Resolve(d)
	if err != nil || cfg.APIKey != "from-env" || cfg.BaseURL != d.BaseURL || cfg.HTTPClient == nil || cfg.Provider != "acme" {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}

	t.Setenv("ACME_BASE_URL", "http://127.0.0.1:9/v1")
	cfg, _ = Config{APIKey: "explicit"}.Resolve(d)
	if cfg.APIKey != "explicit" || cfg.BaseURL != "http://127.0.0.1:9/v1" {
		t.Errorf("explicit key, env URL: %+v", cfg)
	}

	t.Setenv("ACME_BASE_URL", "localhost:9")
	_, err = Config{}.Resolve(d)
	if KindOf(err) != KindBadRequest || !strings.Contains(err.Error(), "ACME_BASE_URL") {
		t.Errorf("bad URL: %v", err)
	}

	d.KeyOptional = true
	t.Setenv("ACME_API_KEY", "")
	t.Setenv("ACME_BASE_URL", "")
	if _, err := (Config{}).Resolve(d); err != nil {
		t.Errorf("optional key: %v", err)
	}
}
