package llm_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmhost/llmhost/internal/clocktest"
	"github.com/llmhost/llmhost/llm"
)

// TestSignatureDeltaFloodIsLinear: an Anthropic stream sends one thinking
// block whose signature comes in 100,000 deltas of 64 bytes (18 MB of
// events, under the 64 MiB stream limit). Before, each delta was appended
// to the signature so far by string concatenation, copying it every time:
// some 320 GB of copying, a CPU pinned for minutes by one cheap answer. The
// stream must end, with the whole signature, well within the bound.
func TestSignatureDeltaFloodIsLinear(t *testing.T) {
	const deltas = 100000
	piece := strings.Repeat("A", 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		bw := bufio.NewWriterSize(w, 1<<16)
		bw.WriteString("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-0\",\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n")
		bw.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"hm\"}}\n\n")
		for range deltas {
			bw.WriteString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"" + piece + "\"}}\n\n")
		}
		bw.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
		bw.WriteString("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"ok\"}}\n\n")
		bw.WriteString("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n")
		bw.WriteString("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\n\n")
		bw.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
		bw.Flush()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sr, err := llm.Stream(ctx, "anthropic/claude-sonnet-4-0", []llm.Message{llm.User("think")},
		llm.WithEndpoint("anthropic", llm.Endpoint{BaseURL: srv.URL, APIKey: "k"}),
		llm.WithClock(clocktest.At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
		llm.WithCooldowns(llm.NewCooldowns()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var resp *llm.Response
	go func() {
		defer close(done)
		for _, err := range sr.Chunks() {
			if err != nil {
				t.Error(err)
				return
			}
		}
		resp, err = sr.Response()
		if err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cancel()
		<-done
		t.Fatal("a stream of 100,000 signature deltas still running after 30 s")
	}
	if resp == nil {
		return
	}
	var sig string
	for _, p := range resp.Message().Content {
		if th, ok := p.(llm.Thought); ok {
			sig += th.Signature
		}
	}
	if len(sig) != len(piece)*deltas || strings.Trim(sig, "A") != "" {
		t.Errorf("signature of %d bytes, want %d", len(sig), len(piece)*deltas)
	}
}
