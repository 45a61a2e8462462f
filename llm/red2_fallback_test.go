package llm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/internal/faultserver"
	"github.com/llmhost/llmhost/llm"
)

// TestFallbackBudgetsAndCooldownSkip: the primary fails with 503 on every
// attempt, the backup too until its last retry. Each model gets its own
// budget (4 attempts, 3 waits each, none between the models); the backup's
// success comes with the primary's four failures and its own three. A
// second call sharing the cooldowns skips the primary, and records the
// skip as an attempt naming the cooldown, sending the primary nothing.
func TestFallbackBudgetsAndCooldownSkip(t *testing.T) {
	s := faultserver.New()
	defer s.Close()
	s.Script("primary", faultserver.Repeat(4, faultserver.Fail(503))...)
	s.Script("backup", append(faultserver.Repeat(3, faultserver.Fail(503)), faultserver.Text("ok"), faultserver.Text("again"))...)
	clock := clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cools := llm.NewCooldowns()
	opts := []llm.Option{llm.WithEndpoint("openai", llm.Endpoint{BaseURL: s.URL(), APIKey: "sk-fault"}),
		llm.WithClock(clock), llm.WithCooldowns(cools), llm.WithFallbacks("openai/backup")}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := llm.Call(ctx, "openai/primary", []llm.Message{llm.User("hi")}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "ok" || resp.Model != "openai/backup" {
		t.Errorf("answer %q from %s, want ok from the backup", resp.Text(), resp.Model)
	}
	var models []string
	for _, a := range resp.Attempts {
		models = append(models, a.Model)
	}
	if got := strings.Join(models, ","); got != "openai/primary,openai/primary,openai/primary,openai/primary,openai/backup,openai/backup,openai/backup" {
		t.Errorf("attempts %s, want 4 on the primary and 3 on the backup", got)
	}
	if n := len(clock.Sleeps()); n != 6 {
		t.Errorf("%d waits %v, want 3 per model and none on the switch", n, clock.Sleeps())
	}

	resp, err = llm.Call(ctx, "openai/primary", []llm.Message{llm.User("hi")}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "again" || len(resp.Attempts) != 1 || resp.Attempts[0].Model != "openai/primary" ||
		!strings.Contains(resp.Attempts[0].Error.Message, "cooling down") {
		t.Errorf("second call: %q, attempts %v; want the backup's answer after a recorded skip of the primary", resp.Text(), resp.Attempts)
	}
	if n := len(s.Requests("primary")); n != 4 {
		t.Errorf("the cooling primary got %d requests in all, want 4", n)
	}

}
