package google_test

import (
	"testing"

	"github.com/llmhost/llmhost/providers/internal/hostile"
)

// googleWire is the Gemini API.
var googleWire = hostile.Wire{
	Model:       "google/gemini-2.0-flash",
	BaseURL:     func(s string) string { return s },
	BodyPrefix:  `{"candidates":[],"modelVersion":"`,
	Event:       `data: {"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]}}]}` + "\n\n",
	EventPrefix: `data: {"responseId":"`,
}

// TestHostileAnswersAreBounded: whatever size a server chooses for its
// answer, the call ends with a clear error and the memory it took stays
// proportional to the limits.
func TestHostileAnswersAreBounded(t *testing.T) { hostile.Run(t, googleWire) }

// TestHostileAnswersAreBoundedByDefault: the same, at the default limits.
func TestHostileAnswersAreBoundedByDefault(t *testing.T) { hostile.RunDefaults(t, googleWire) }
