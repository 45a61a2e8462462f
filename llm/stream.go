package llm

import (
	"context"
	"errors"
	"io"
	"iter"
	"slices"
	"sync"
	"time"
)

// ResumePrompt is the user turn that asks a model to continue an answer
// whose stream failed part way.
const ResumePrompt = "Your previous response was cut off by a network error. Continue exactly where it stopped, without repeating anything you already wrote."

// StreamResponse is an answer that arrives in pieces. Read it once, with
// Chunks or TextStream; the engine works as you read:
//
//   - A failure before any text arrived is retried like a call: backoff,
//     Retry-After, fallbacks. The retry starts the answer afresh.
//   - A failure after text arrived (a cut connection, an error event in a
//     200 stream, a stall past the attempt timeout) is resumed: the partial
//     answer is kept in the messages, the model is asked to continue, and
//     the iterator goes on with the continuation.
//
// Whatever failed, nothing the reader received is taken back or sent twice:
// every chunk the iterator yields is final, so a reader can append each
// one to what it has, as it would without failures. For that, a chunk is
// held back until no failure can retract it:
//
//   - Text is yielded as it arrives: once an attempt has text, a failure is
//     resumed and the text stays part of the answer.
//   - Thoughts are held back until the attempt's first text (or its end),
//     because a failure before text starts the answer afresh, thinking
//     included. After that they are yielded as they arrive. The first
//     thought of each attempt has NewBlock set, so a thought cut by a
//     failure is never joined with the continuation's.
//   - Tool-call deltas and the finish reason are held back until the
//     attempt has ended cleanly, then yielded in the order they came:
//     a cut tool call is dropped from the answer (its arguments may be cut
//     in the middle of a JSON value) and the continuation may call it
//     again, from index 0. So tool calls reach the reader whole, after the
//     text; a reader that shows arguments as they are written sees them all
//     at once.
//   - Usage is yielded as it arrives, as the stream's running totals: what
//     every attempt so far used, including failed ones, as Response.Usage
//     counts it. Each usage chunk replaces the one before.
//
// Messages shows everything that arrived, at any time, held back or not;
// after a failure it holds the partial answer, so Resume works. A partial
// answer keeps only what can be sent back to a provider: its text and the
// thoughts that carry a signature.
type StreamResponse struct {
	s     *settings
	ctx   context.Context
	model string

	mu       sync.Mutex
	msgs     []Message // input, then every finished or cut segment
	answer   int
	acc      *accumulator
	attempts []Attempt
	usage    Usage
	answered string
	current  string // the model of the attempt under way
	// resuming: the last message is a partial answer to continue. The
	// attempt that continues it sends ResumePrompt after it, but the prompt
	// joins msgs only with what that attempt adds: a continuation that
	// fails before any text leaves the messages ending with the partial
	// answer, so that Resume sends it followed by the caller's turn alone.
	resuming bool
	err      error
	done     bool
	started  bool
	resp     *Response
}

// Stream starts a streamed call of model with messages. Reading happens
// when the stream is iterated, under ctx. Only a malformed model id fails
// here; every other failure comes out of the iterator, after the retries
// the policy allows.
func Stream(ctx context.Context, model string, messages []Message, opts ...Option) (*StreamResponse, error) {
	return newSettings(opts).stream(ctx, model, cloneMessages(messages))
}

func (s *settings) stream(ctx context.Context, model string, msgs []Message) (*StreamResponse, error) {
	if m, ok := ModelOverride(ctx); ok {
		model = m
	}
	if _, _, err := SplitModel(model); err != nil {
		return nil, err
	}
	return &StreamResponse{s: s, ctx: ctx, model: model, msgs: msgs, answer: len(msgs), acc: &accumulator{}}, nil
}

// errStopped ends the engine's loop when the reader stops iterating.
var errStopped = &Error{Kind: "stopped", Message: "the reader stopped iterating"}

// Chunks returns an iterator over the answer's chunks. The final error, if
// any, is the iterator's last pair.
func (sr *StreamResponse) Chunks() iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		sr.mu.Lock()
		if sr.started {
			sr.mu.Unlock()
			yield(Chunk{}, errors.New("llm: a stream can be read only once; use Messages or Response for what it held"))
			return
		}
		sr.started = true
		sr.mu.Unlock()

		stopped := false
		t, attempts, err := sr.s.run(sr.ctx, sr.model, true, func(ctx context.Context, t target) error {
			err := sr.attempt(ctx, t, yield)
			if err == errStopped {
				stopped = true
			}
			return err
		})
		sr.mu.Lock()
		sr.attempts = attempts
		sr.answered = t.id
		sr.done = true
		if stopped {
			err = nil
		}
		if err != nil {
			sr.err = err
		}
		sr.mu.Unlock()
		if err != nil && !stopped {
			yield(Chunk{}, err)
		}
	}
}

// TextStream returns an iterator over the answer's text deltas.
func (sr *StreamResponse) TextStream() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for c, err := range sr.Chunks() {
			if err != nil {
				yield("", err)
				return
			}
			if c.Kind == ChunkText && !yield(c.Text, nil) {
				return
			}
		}
	}
}

// attempt streams one request to t, yielding its chunks. When it fails after
// text arrived, the partial answer and the continuation request are added to
// the messages before it returns, so the engine's next attempt resumes.
func (sr *StreamResponse) attempt(ctx context.Context, t target, yield func(Chunk, error) bool) error {
	sr.mu.Lock()
	resumed := sr.resuming
	msgs := slices.Clone(sr.msgs)
	if resumed {
		msgs = append(msgs, User(ResumePrompt))
	}
	sr.acc = &accumulator{}
	sr.current = t.id
	sr.mu.Unlock()
	// Observers run after the lock is released: one may well call
	// Messages, Attempts or Err.
	if resumed {
		sr.s.emit(Event{Type: EventResume, Model: t.id})
	}

	req, err := sr.s.request(t, msgs)
	if err != nil {
		return err
	}
	policy := sr.s.retry.normalized()
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := newIdleTimer(policy.AttemptTimeout, func() { cancel(errAttemptTimeout) })
	defer idle.stop()

	fail := func(err error) error {
		if context.Cause(sctx) == errAttemptTimeout && ctx.Err() == nil {
			err = &Error{Kind: KindTimeout, Provider: t.provider, Model: t.id,
				Message: "no data for " + policy.AttemptTimeout.String() + " (attempt timeout)", Err: err}
		}
		sr.keepPartial(t)
		return err
	}

	r, err := t.p.Stream(sctx, req)
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	formatTool := ""
	if sr.s.format != nil {
		formatTool = sr.s.format.toolName()
	}
	// Providers name a call only in its first delta; remember which
	// indexes are the format tool's.
	formatCalls := map[int]bool{}
	// held are the chunks of this attempt not yet final (see StreamResponse);
	// a failure drops them, a clean end yields them.
	var held []Chunk
	committed := false // the attempt has text: a failure is resumed
	thoughts := 0      // thoughts yielded in this attempt
	finished := false  // the provider said why the answer ended
	for {
		// The clock runs only while waiting for the provider, never while
		// the reader handles a chunk: a slow reader is not a stall.
		idle.reset()
		c, err := r.Next()
		idle.stop()
		if err != nil && err != io.EOF && finished && ctx.Err() == nil {
			// The finish reason is the last thing an answer carries
			// (OpenAI's [DONE] and Anthropic's message_stop only follow
			// it): a cut, a stall or garbage after it loses nothing.
			// Resuming would ask the model to continue an answer it had
			// finished, and the reader would get more than the answer.
			err = io.EOF
		}
		if err == io.EOF {
			// The answer is whole: record it first, so that it is complete
			// in Messages and Response even if the reader stops during
			// what follows.
			sr.finish(t)
			for _, h := range held {
				if h.Kind == ChunkThought {
					h.NewBlock = h.NewBlock || thoughts == 0
					thoughts++
				}
				if !yield(h, nil) {
					break
				}
			}
			return nil
		}
		if err != nil {
			return fail(err)
		}
		if c.Kind == ChunkToolCall && formatTool != "" {
			if c.ToolCall.Name == formatTool {
				formatCalls[c.ToolCall.Index] = true
			}
			if formatCalls[c.ToolCall.Index] {
				// The format tool's arguments are the answer: stream them as text.
				c = Chunk{Kind: ChunkText, Text: c.ToolCall.Arguments, ProviderModel: c.ProviderModel}
			}
		}
		sr.mu.Lock()
		sr.acc.add(c)
		hasText := sr.acc.hasText
		total := sr.usage
		total.add(sr.acc.usage)
		sr.mu.Unlock()

		var out []Chunk
		switch c.Kind {
		case ChunkText:
			if hasText && !committed {
				// From now on a failure is resumed, keeping the thoughts
				// so far: they are final.
				committed = true
				rest := held[:0]
				for _, h := range held {
					if h.Kind == ChunkThought {
						out = append(out, h)
					} else {
						rest = append(rest, h)
					}
				}
				held = rest
			}
			out = append(out, c)
		case ChunkThought:
			if committed {
				out = append(out, c)
			} else {
				held = append(held, c)
			}
		case ChunkUsage:
			c.Usage = total
			out = append(out, c)
		case ChunkFinish:
			finished = true
			held = append(held, c)
		default: // tool-call deltas, kinds yet to come
			held = append(held, c)
		}
		for _, o := range out {
			if o.Kind == ChunkThought {
				o.NewBlock = o.NewBlock || thoughts == 0
				thoughts++
			}
			if !yield(o, nil) {
				sr.keepPartial(t)
				return errStopped
			}
		}
	}
}

// keepPartial ends a failed segment: if text arrived, the partial answer
// joins the messages, and the next attempt asks the model to continue it.
func (sr *StreamResponse) keepPartial(t target) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	sr.usage.add(sr.acc.usage)
	if !sr.acc.hasText {
		return
	}
	m := sr.acc.message(true)
	m.Model = t.id
	if sr.resuming {
		sr.msgs = append(sr.msgs, User(ResumePrompt))
	}
	sr.msgs = append(sr.msgs, m)
	sr.resuming = true
	sr.acc = &accumulator{}
}

func (sr *StreamResponse) finish(t target) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	m := sr.acc.message(false)
	m.Model = t.id
	if sr.resuming {
		sr.msgs = append(sr.msgs, User(ResumePrompt))
		sr.resuming = false
	}
	sr.msgs = append(sr.msgs, sr.s.formatToolAsText(m))
	sr.usage.add(sr.acc.usage)
	sr.resp = &Response{
		Model:         t.id,
		ProviderModel: sr.acc.providerModel,
		Messages:      sr.msgs,
		Usage:         sr.usage,
		FinishReason:  sr.acc.finish,
		s:             sr.s,
		answer:        sr.answer,
	}
	sr.acc = &accumulator{}
}

// Messages returns the conversation so far: the input, any partial answers
// with the continuation requests that followed them, and the answer, whole
// or as far as it arrived.
func (sr *StreamResponse) Messages() []Message {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	msgs := cloneMessages(sr.msgs)
	if sr.resuming && !sr.done {
		// A continuation is under way (or about to be): it was asked
		// for. Once the stream has ended, a continuation that never
		// answered is no part of the conversation Resume carries on.
		msgs = append(msgs, User(ResumePrompt))
	}
	if sr.acc != nil && len(sr.acc.parts) > 0 {
		m := sr.acc.message(true)
		m.Model = sr.current
		msgs = append(msgs, m)
	}
	return msgs
}

// Attempts returns the failed attempts, once the stream has been read.
func (sr *StreamResponse) Attempts() []Attempt {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return slices.Clone(sr.attempts)
}

// Err returns the error that ended the stream, if any.
func (sr *StreamResponse) Err() error {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return sr.err
}

// Response reads whatever is left of the stream and returns the finished
// answer. With a Format, it is parsed and validated like a call's. On
// failure, the Response is returned too, holding the partial answer.
func (sr *StreamResponse) Response() (*Response, error) {
	resp, err := sr.result()
	if err != nil || sr.s.format == nil {
		return resp, err
	}
	return sr.s.validate(sr.ctx, resp, true)
}

// result reads the rest of the stream and returns its answer, unparsed.
func (sr *StreamResponse) result() (*Response, error) {
	sr.mu.Lock()
	started := sr.started
	sr.mu.Unlock()
	if !started {
		for _, err := range sr.Chunks() {
			if err != nil {
				break
			}
		}
	}
	sr.mu.Lock()
	resp, err := sr.resp, sr.err
	if resp == nil {
		resp = &Response{Model: sr.model, Messages: cloneMessages(sr.msgs), Usage: sr.usage, s: sr.s, answer: sr.answer}
		if err == nil {
			err = errors.New("llm: the stream was not read to its end")
		}
	}
	resp.Attempts = slices.Clone(sr.attempts)
	sr.mu.Unlock()
	return resp, err
}

// Resume continues the conversation of this stream, as far as it got, with
// content as the next turn, streamed.
func (sr *StreamResponse) Resume(ctx context.Context, content ...Part) (*StreamResponse, error) {
	sr.mu.Lock()
	model := sr.answered
	sr.mu.Unlock()
	if model == "" {
		model = sr.model
	}
	return sr.s.stream(ctx, model, append(sr.Messages(), messagesFor(content)...))
}

// idleTimer fires when no reset came for d; d = 0 never fires.
type idleTimer struct {
	d time.Duration
	t *time.Timer
}

func newIdleTimer(d time.Duration, fire func()) *idleTimer {
	it := &idleTimer{d: d}
	if d > 0 {
		it.t = time.AfterFunc(d, fire)
	}
	return it
}

func (it *idleTimer) reset() {
	if it.t != nil {
		it.t.Reset(it.d)
	}
}

func (it *idleTimer) stop() {
	if it.t != nil {
		it.t.Stop()
	}
}
