package llm

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// tenantsScenario: tenant A uses up its budget on fake/a with 429s and
// falls back to fake/b; then tenant B, reaching the same model id through
// its own key or endpoint, must still be sent to fake/a; and A, calling
// again, must skip it.
func tenantsScenario(t *testing.T, pa, pb *fakeProvider, optsA, optsB []Option) {
	t.Helper()
	pa.script("a", fail(KindRateLimit, 429), fail(KindRateLimit, 429))
	pa.script("b", text("A's fallback"), text("A's fallback again"))
	pb.script("a", text("B's a"))

	resp, err := Call(context.Background(), "fake/a", hi, optsA...)
	if err != nil || resp.Model != "fake/b" {
		t.Fatalf("tenant A: %v, %v", resp, err)
	}
	resp, err = Call(context.Background(), "fake/a", hi, optsB...)
	if err != nil {
		t.Fatalf("tenant B: %v", err)
	}
	if resp.Model != "fake/a" || resp.Text() != "B's a" || len(resp.Attempts) != 0 {
		t.Errorf("tenant B was answered by %s (%q) after %v: A's cooldown made B skip fake/a", resp.Model, resp.Text(), resp.Attempts)
	}
	resp, err = Call(context.Background(), "fake/a", hi, optsA...)
	if err != nil || resp.Model != "fake/b" || len(resp.Attempts) != 1 || !strings.Contains(resp.Attempts[0].Error.Message, "cooling down") {
		t.Errorf("tenant A, again: %v, %v; want fake/a skipped", resp, err)
	}
}

func TestCooldownIsPerAPIKey(t *testing.T) {
	p, opts := newFake(t)
	shared := NewCooldowns()
	base := append(opts, WithCooldowns(shared), WithMaxRetries(1), WithFallbacks("fake/b"))
	optsA := append(base[:len(base):len(base)], WithEndpoint("fake", Endpoint{APIKey: "sk-tenant-a"}))
	optsB := append(base[:len(base):len(base)], WithEndpoint("fake", Endpoint{APIKey: "sk-tenant-b"}))
	tenantsScenario(t, p, p, optsA, optsB)

	// The key is kept as a digest, never as itself.
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if len(shared.state) != 1 {
		t.Fatalf("entries = %v", shared.state)
	}
	for k := range shared.state {
		if strings.Contains(fmt.Sprintf("%#v", k), "sk-tenant") || k.keyHash == "" {
			t.Errorf("the cooldown key holds the API key: %#v", k)
		}
	}
}

func TestCooldownIsPerEndpoint(t *testing.T) {
	pa, opts := newFake(t)
	// Tenant B's endpoint is another fake server.
	pb := &fakeProvider{scripts: map[string][]step{}}
	east := t.Name() + "/east"
	fakesMu.Lock()
	fakes[east] = pb
	fakesMu.Unlock()
	t.Cleanup(func() {
		fakesMu.Lock()
		delete(fakes, east)
		fakesMu.Unlock()
	})
	base := append(opts, WithCooldowns(NewCooldowns()), WithMaxRetries(1), WithFallbacks("fake/b"))
	optsB := append(base[:len(base):len(base)], WithEndpoint("fake", Endpoint{BaseURL: east}))
	tenantsScenario(t, pa, pb, base, optsB)
}

// TestZeroCooldowns: the zero value is a usable table, and nil means the
// process-wide one; neither panics.
func TestZeroCooldowns(t *testing.T) {
	p, opts := newFake(t)
	var c Cooldowns
	opts = append(opts, WithCooldowns(&c), WithMaxRetries(0), WithFallbacks("fake/b"))
	p.script("a", fail(KindServer, 500))
	p.script("b", text("one"), text("two"))
	if _, err := Call(context.Background(), "fake/a", hi, opts...); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.Until("fake/a", Endpoint{BaseURL: t.Name()}, clockOf(opts).Now()); !ok {
		t.Error("the zero Cooldowns recorded nothing")
	}
	resp, err := Call(context.Background(), "fake/a", hi, opts...)
	if err != nil || resp.Model != "fake/b" || len(resp.Attempts) != 1 {
		t.Errorf("second call: %v, %v; want fake/a skipped", resp, err)
	}

	var zero Cooldowns
	if _, _, ok := zero.Until("fake/a", Endpoint{}, time.Now()); ok {
		t.Error("an empty table says cooling")
	}
	zero.succeed("fake/a", Endpoint{})
	if s := newSettings([]Option{WithCooldowns(nil)}); s.cooldowns != processCooldowns {
		t.Error("WithCooldowns(nil) is not the process-wide table")
	}
}

// TestCooldownTableIsBounded: a process serving many tenants, each failing
// once, keeps only the entries still cooling down (within a factor of
// two), not one per tenant ever seen.
func TestCooldownTableIsBounded(t *testing.T) {
	var c Cooldowns
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const cool = 30 * time.Second
	for i := range 20_000 {
		now := t0.Add(time.Duration(i) * time.Second)
		c.fail("openai/gpt-4o-mini", Endpoint{APIKey: fmt.Sprint("sk-", i)}, now, now.Add(cool), &Error{Kind: KindRateLimit})
		if n := len(c.state); n > 2*minSweep+1 {
			t.Fatalf("after %d tenants the table holds %d entries; at most %d cool down at once", i+1, n, int(cool/time.Second))
		}
	}
	// Every live entry survives a sweep.
	last := t0.Add(19_999 * time.Second)
	for i := 19_999 - 28; i <= 19_999; i++ {
		if _, _, ok := c.Until("openai/gpt-4o-mini", Endpoint{APIKey: fmt.Sprint("sk-", i)}, last); !ok {
			t.Errorf("tenant %d's live cooldown was swept", i)
		}
	}
}
