package google

import (
	"io"
	"sync"

	"google.golang.org/genai"

	"github.com/llmhost/llmhost/llm"
)

// chunkReader turns the chunks of streamGenerateContent into llm.Chunks.
// Each Gemini chunk is a small GenerateContentResponse: parts to append,
// running usage, and, on the last one, the finish reason. Gemini streams a
// function call whole, in one part, so each call is a single tool-call
// delta with an Index of its own.
type chunkReader struct {
	p    *Provider
	ex   *exchange
	next func() (*genai.GenerateContentResponse, error, bool)
	stop func()

	parts    partDecoder
	pending  []llm.Chunk
	finished bool // a chunk carried a finish reason (or a blocked prompt)
	ended    bool // the SDK's iterator is done
	closed   sync.Once
}

// Next returns the next chunk, io.EOF at the end of a finished answer, or
// the *llm.Error that ended the stream.
func (r *chunkReader) Next() (llm.Chunk, error) {
	for len(r.pending) == 0 {
		if r.ended {
			if !r.finished {
				// The body ended cleanly, but Gemini's last chunk, the one
				// with the finish reason, never came: the answer was cut,
				// and the engine should resume it rather than keep half.
				return llm.Chunk{}, &llm.Error{Kind: llm.KindConnection, Provider: r.p.name,
					Message: "the stream ended before the finish reason", Err: io.ErrUnexpectedEOF}
			}
			return llm.Chunk{}, io.EOF
		}
		resp, err, ok := r.next()
		switch {
		case err != nil:
			r.ended = true
			return llm.Chunk{}, r.p.error(err, r.ex)
		case !ok:
			r.ended = true
		default:
			r.decode(resp)
		}
	}
	c := r.pending[0]
	r.pending = r.pending[1:]
	return c, nil
}

// decode queues the chunks of one Gemini chunk.
func (r *chunkReader) decode(resp *genai.GenerateContentResponse) {
	if resp == nil {
		return
	}
	if resp.ModelVersion != "" || resp.UsageMetadata != nil {
		r.emit(llm.Chunk{Kind: llm.ChunkUsage, Usage: usageOf(resp.UsageMetadata), ProviderModel: resp.ModelVersion})
	}
	cand := firstCandidate(resp)
	if cand != nil && cand.Content != nil {
		for _, part := range cand.Content.Parts {
			for _, p := range r.parts.parts(part, resp.ResponseID) {
				r.emitPart(p)
			}
		}
	}
	if (cand != nil && cand.FinishReason != "") || (cand == nil && resp.PromptFeedback != nil && resp.PromptFeedback.BlockReason != "") {
		r.finished = true
		r.emit(llm.Chunk{Kind: llm.ChunkFinish, FinishReason: finishOf(resp)})
	}
}

// emitPart queues a decoded part as the chunk that carries it.
func (r *chunkReader) emitPart(p llm.Part) {
	switch p := p.(type) {
	case llm.Text:
		r.emit(llm.Chunk{Kind: llm.ChunkText, Text: string(p)})
	case llm.Thought:
		// A signature alone belongs to the part before it: it must not
		// merge into an earlier thought.
		r.emit(llm.Chunk{Kind: llm.ChunkThought, Text: p.Text, Signature: p.Signature, NewBlock: p.Text == ""})
	case llm.ToolCall:
		// The decoder has just counted this call: its number is the Index.
		r.emit(llm.Chunk{Kind: llm.ChunkToolCall, ToolCall: llm.ToolCallDelta{
			Index: r.parts.calls - 1, ID: p.ID, Name: p.Name, Arguments: string(p.Arguments),
		}})
	}
}

func (r *chunkReader) emit(c llm.Chunk) {
	if (c.Kind == llm.ChunkText || c.Kind == llm.ChunkThought) && c.Text == "" && c.Signature == "" {
		return
	}
	r.pending = append(r.pending, c)
}

// Close stops the SDK's iterator, which closes the response body; it is
// safe to call more than once.
func (r *chunkReader) Close() error {
	r.closed.Do(r.stop)
	return nil
}
