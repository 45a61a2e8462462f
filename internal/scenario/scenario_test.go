package scenario_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/internal/scenario"
	_ "github.com/llmhost/llmhost/providers/openai"
)

// Each scenario, offline: Check proves from what the fault server received
// that the engine did what the narration claims.
func TestScenariosOffline(t *testing.T) {
	for _, sc := range scenario.All {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			srv := faultserver.New()
			defer srv.Close()
			var out bytes.Buffer
			env := scenario.Offline(srv, &out)
			env.Tools = scenario.GoCalculator()
			if err := scenario.RunOffline(context.Background(), sc, srv, env); err != nil {
				t.Fatalf("%v\nnarration:\n%s", err, out.String())
			}
		})
	}
}
