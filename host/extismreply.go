package host

import (
	"context"
	"fmt"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero/api"
)

// An Extism guest replies through the kernel: output_set(offset, length)
// names its output and error_set(offset) its error message, and the SDK
// copies either out after the call. Left to the SDK, both are unbounded
// and one is silent:
//
//   - an error message is read whole, whatever its size (a guest can hand
//     the host a 60 MiB "message" by error_set on a block it never wrote);
//   - an output that reaches past the kernel's memory is read as nothing:
//     the call succeeds with empty output, the gotcha of Extism outputs
//     larger than memory, here claimed by a guest that has no such output.
//
// The host therefore renames the guest's imports of extism:host/env's
// output_set and error_set to extismReplyModule and provides them itself:
// each checks its reply, against the output cap (WithMaxOutput; an error
// message is a reply like any other, as a native guest's error reply is)
// and against the kernel's memory, then hands it to the kernel. A reply
// over the cap fails the call with ReasonOutputTooLarge, one outside the
// memory with ReasonMalformedReply, before anything is copied.
const extismReplyModule = "llmhost:extism/reply"

var extismReplyFuncs = map[string]bool{"output_set": true, "error_set": true}

// extismKernel returns the Extism kernel module of the calling instance:
// the SDK keeps it in the call's context, for its own wrappers of the
// kernel's functions.
func extismKernel(ctx context.Context) api.Module {
	k, ok := ctx.Value(extism.PluginCtxKey("extism")).(api.Module)
	if !ok {
		panic("llmhost: an Extism reply function was called without the kernel in its context")
	}
	return k
}

func replyHostFunctions(maxOutput int64) []extism.HostFunction {
	i64 := extism.ValueTypeI64
	output := extism.NewHostFunctionWithStack("output_set", func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		in := callingInstance(ctx)
		off, n := stack[0], stack[1]
		if n > uint64(maxOutput) {
			in.trap(&Error{Reason: ReasonOutputTooLarge, Message: fmt.Sprintf("the reply is %s, over the %s output cap (host.WithMaxOutput sets it)", FormatSize(int64(min(n, 1<<62))), FormatSize(maxOutput))})
		}
		if size := uint64(p.Memory().Size()); off > size || n > size-off {
			in.trap(&Error{Reason: ReasonMalformedReply, Message: fmt.Sprintf("output_set(%d, %d) names bytes outside the kernel's %d-byte memory", off, n, size)})
		}
		if err := extismKernel(ctx).ExportedFunction("output_set").CallWithStack(ctx, stack); err != nil {
			panic(err)
		}
	}, []extism.ValueType{i64, i64}, nil)
	errorSet := extism.NewHostFunctionWithStack("error_set", func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		in := callingInstance(ctx)
		if off := stack[0]; off != 0 {
			n, err := p.Length(off)
			if err != nil {
				panic(err)
			}
			if n > uint64(maxOutput) {
				in.trap(&Error{Reason: ReasonOutputTooLarge, Message: fmt.Sprintf("the error message is %s, over the %s output cap (host.WithMaxOutput sets it)", FormatSize(int64(min(n, 1<<62))), FormatSize(maxOutput))})
			}
		}
		if err := extismKernel(ctx).ExportedFunction("error_set").CallWithStack(ctx, stack); err != nil {
			panic(err)
		}
	}, []extism.ValueType{i64}, nil)
	fns := []extism.HostFunction{output, errorSet}
	for i := range fns {
		fns[i].SetNamespace(extismReplyModule)
	}
	return fns
}
