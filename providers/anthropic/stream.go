package anthropic

import (
	"io"
	"sync"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/packages/ssestream"

	"github.com/llmhost/llmhost/llm"
)

// chunkReader turns the Messages API's server-sent events into llm.Chunks.
//
// One event may give several chunks (a message_delta carries the finish
// reason and the final usage), so they queue in pending. Content blocks are
// told apart by their index, which is also the Index of tool-call deltas:
// the pieces of one tool_use block form one call.
type chunkReader struct {
	p       *Provider
	s       *ssestream.Stream[anthropic.MessageStreamEventUnion]
	pending []llm.Chunk
	stopped bool // message_stop arrived
	closed  sync.Once
}

// Next returns the next chunk, io.EOF after message_stop, or the *llm.Error
// that ended the stream.
func (r *chunkReader) Next() (llm.Chunk, error) {
	for len(r.pending) == 0 {
		if r.stopped {
			return llm.Chunk{}, io.EOF
		}
		if !r.s.Next() {
			if err := r.s.Err(); err != nil {
				return llm.Chunk{}, r.p.streamError(err)
			}
			// A clean end of the body without message_stop means the
			// answer was cut (a proxy gave up, say): report it so the
			// engine resumes instead of taking half an answer for all of it.
			return llm.Chunk{}, &llm.Error{Kind: llm.KindConnection, Provider: r.p.name,
				Message: "the stream ended before message_stop", Err: io.ErrUnexpectedEOF}
		}
		r.event(r.s.Current())
	}
	c := r.pending[0]
	r.pending = r.pending[1:]
	return c, nil
}

// event queues the chunks of one event.
func (r *chunkReader) event(ev anthropic.MessageStreamEventUnion) {
	switch ev.Type {
	case "message_start":
		u := ev.Message.Usage
		r.emit(llm.Chunk{Kind: llm.ChunkUsage, ProviderModel: string(ev.Message.Model),
			Usage: usageOf(u.InputTokens, u.OutputTokens, u.CacheReadInputTokens)})
	case "content_block_start":
		b := ev.ContentBlock
		switch b.Type {
		case "text":
			r.emit(llm.Chunk{Kind: llm.ChunkText, Text: b.Text})
		case "thinking":
			// Always queued, even empty: it starts a block of its own.
			r.pending = append(r.pending, llm.Chunk{Kind: llm.ChunkThought, Text: b.Thinking, Signature: b.Signature, NewBlock: true})
		case "redacted_thinking":
			r.pending = append(r.pending, llm.Chunk{Kind: llm.ChunkThought, Redacted: b.Data, NewBlock: true})
		case "tool_use":
			r.emit(llm.Chunk{Kind: llm.ChunkToolCall, ToolCall: llm.ToolCallDelta{Index: int(ev.Index), ID: b.ID, Name: b.Name}})
		}
	case "content_block_delta":
		d := ev.Delta
		switch d.Type {
		case "text_delta":
			r.emit(llm.Chunk{Kind: llm.ChunkText, Text: d.Text})
		case "input_json_delta":
			if d.PartialJSON != "" {
				r.emit(llm.Chunk{Kind: llm.ChunkToolCall, ToolCall: llm.ToolCallDelta{Index: int(ev.Index), Arguments: d.PartialJSON}})
			}
		case "thinking_delta":
			r.emit(llm.Chunk{Kind: llm.ChunkThought, Text: d.Thinking})
		case "signature_delta":
			r.emit(llm.Chunk{Kind: llm.ChunkThought, Signature: d.Signature})
		}
	case "message_delta":
		u := ev.Usage
		r.emit(llm.Chunk{Kind: llm.ChunkUsage, Usage: usageOf(u.InputTokens, u.OutputTokens, u.CacheReadInputTokens)})
		r.emit(llm.Chunk{Kind: llm.ChunkFinish, FinishReason: finishReason(ev.Delta.StopReason)})
	case "message_stop":
		r.stopped = true
	}
}

func (r *chunkReader) emit(c llm.Chunk) {
	if (c.Kind == llm.ChunkText || c.Kind == llm.ChunkThought) && c.Text == "" && c.Signature == "" {
		return
	}
	r.pending = append(r.pending, c)
}

// Close releases the connection; it is safe to call more than once.
func (r *chunkReader) Close() error {
	var err error
	r.closed.Do(func() { err = r.s.Close() })
	return err
}
