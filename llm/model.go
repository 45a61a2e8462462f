package llm

import "context"

type modelKey struct{}

// UseModel returns a context under which every call, and every Resume, uses
// model instead of the one it names. It is Mirascope's `with llm.model(...)`:
// code deep in a program can be pointed at another model without changing
// its calls.
//
//	ctx = llm.UseModel(ctx, "anthropic/claude-3-5-haiku-latest")
//	resp, err = resp.Resume(ctx, llm.Text("And in French?"))
func UseModel(ctx context.Context, model string) context.Context {
	return context.WithValue(ctx, modelKey{}, model)
}

// ModelOverride returns the model set by UseModel, if any.
func ModelOverride(ctx context.Context) (string, bool) {
	m, ok := ctx.Value(modelKey{}).(string)
	return m, ok && m != ""
}
