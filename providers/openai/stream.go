package openai

import (
	"context"
	"errors"
	"io"
	"sync"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/llmhost/llmhost/llm"
)

// Stream sends req and returns its chunks as they arrive. It returns once
// the response headers are in, so an error status comes back from Stream
// itself, with its Retry-After: go-openai drops the response of a failed
// stream, and the provider reads the headers on the way past instead (see
// recorder).
func (p *Provider) Stream(ctx context.Context, req *llm.Request) (llm.ChunkReader, error) {
	creq, err := p.chatRequest(req, true)
	if err != nil {
		return nil, err
	}
	ctx, x := withExchange(ctx)
	s, err := p.client.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		x.closeBody()
		return nil, p.failure(err, x)
	}
	return &chunkReader{p: p, stream: s, x: x, names: map[int]string{}}, nil
}

// chunkReader turns stream events into llm.Chunks. One event can carry
// several pieces (text and a finish reason, or usage), so chunks queue.
type chunkReader struct {
	p      *Provider
	stream *goopenai.ChatCompletionStream
	x      *exchange

	pending []llm.Chunk
	// buf is pending's backing array, reused for every event: the chunks
	// it held were handed out by value, so it is free once pending is
	// empty, and an event costs no allocation of its own.
	buf      []llm.Chunk
	names    map[int]string // tool-call names by index
	refused  bool           // a refusal delta arrived
	finished bool           // a finish_reason arrived

	closeOnce sync.Once
}

// Next returns the next chunk, io.EOF after the last, or an *llm.Error.
func (r *chunkReader) Next() (llm.Chunk, error) {
	for len(r.pending) == 0 {
		ev, err := r.stream.Recv()
		if errors.Is(err, io.EOF) {
			if !r.finished {
				// OpenAI-compatible servers always say why an answer
				// ended before they end the stream. A stream that ends
				// without it was cut, by a proxy that closed it cleanly
				// say, and what arrived is not the whole answer.
				return llm.Chunk{}, &llm.Error{Kind: llm.KindConnection, Provider: r.p.name,
					Message: "the stream ended before the model finished its answer", Err: io.ErrUnexpectedEOF}
			}
			return llm.Chunk{}, io.EOF
		}
		if err != nil {
			return llm.Chunk{}, r.p.failure(err, r.x)
		}
		r.pending = r.chunks(ev)
	}
	c := r.pending[0]
	r.pending = r.pending[1:]
	return c, nil
}

// chunks converts one event. Only the first choice counts, as in Complete.
func (r *chunkReader) chunks(ev goopenai.ChatCompletionStreamResponse) []llm.Chunk {
	out := r.buf[:0]
	add := func(c llm.Chunk) {
		c.ProviderModel = ev.Model
		out = append(out, c)
	}
	for _, choice := range ev.Choices {
		if choice.Index != 0 {
			continue
		}
		d := choice.Delta
		if d.ReasoningContent != "" {
			add(llm.Chunk{Kind: llm.ChunkThought, Text: d.ReasoningContent})
		}
		if d.Content != "" {
			add(llm.Chunk{Kind: llm.ChunkText, Text: d.Content})
		}
		if d.Refusal != "" {
			r.refused = true
			add(llm.Chunk{Kind: llm.ChunkText, Text: d.Refusal})
		}
		for i, tc := range d.ToolCalls {
			index := i
			if tc.Index != nil {
				index = *tc.Index
			}
			// OpenAI names a call in its first delta only. Every delta
			// carries the name here, so that whoever reads one delta
			// (the engine turning the format tool's arguments into text,
			// for one) knows which call it belongs to.
			name := tc.Function.Name
			if name != "" {
				r.names[index] = name
			} else {
				name = r.names[index]
			}
			add(llm.Chunk{Kind: llm.ChunkToolCall, ToolCall: llm.ToolCallDelta{
				Index: index, ID: tc.ID, Name: name, Arguments: tc.Function.Arguments,
			}})
		}
		if choice.FinishReason != "" && choice.FinishReason != goopenai.FinishReasonNull {
			r.finished = true
			add(llm.Chunk{Kind: llm.ChunkFinish, FinishReason: finishReason(choice.FinishReason, r.refused)})
		}
	}
	if ev.Usage != nil {
		add(llm.Chunk{Kind: llm.ChunkUsage, Usage: usage(ev.Usage)})
	}
	r.buf = out
	return out
}

// Close releases the connection. It is safe to call more than once.
func (r *chunkReader) Close() error {
	var err error
	r.closeOnce.Do(func() { err = r.stream.Close() })
	return err
}
