package host

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/gobwas/glob"
	"github.com/llmhost/llmhost/host/internal/wasmbin"
)

// The HTTP host functions of Extism guests are llmhost's own, not the
// SDK's. extism/go-sdk v1.7.1's http_request sends with
// http.DefaultClient, which follows up to ten redirects to any host at
// all, so a granted host could bounce a request to one never granted; it
// compiles each allowed pattern at request time and panics on a bad one;
// it takes proxies from the environment. The host therefore renames the
// guest's imports of extism:host/env's http_request, http_status_code and
// http_headers to extismHTTPModule before compiling it, and provides them
// with the same signatures and wire format (a JSON request
// {"url","method","headers"} and an optional body in kernel memory; the
// response body written to kernel memory, 0 when empty; the status and the
// response headers, lower-cased and comma-joined, from the getters), but
// with a client of its own:
//
//   - every hop, the first request and each redirect, must be http or https
//     to a granted host (WithAllowedHosts), or the request is refused
//     before it is sent; at most extismMaxRedirects redirects;
//   - it ends with the call: its context carries the call's deadline;
//   - the request body may be at most the plugin's output cap, and the
//     response body at most the output cap too (WithMaxOutput): the first
//     is data leaving the sandbox, the second data the guest is handed;
//     response headers are capped at extismMaxResponseHeaderBytes;
//   - no proxy: the environment's HTTP_PROXY is the host's business, and
//     sending a guest's traffic through it would reach a host nobody
//     granted;
//   - connections are kept per plugin and closed with it.
//
// A refused or failed request traps the guest, as with the SDK (the
// Extism ABI has no error return for http_request), and the call's
// *Error says what was refused and which grant would allow it.
const extismHTTPModule = "llmhost:extism/http"

const (
	// extismMaxRedirects bounds the redirects one request follows, as
	// net/http's default policy does.
	extismMaxRedirects = 10
	// extismMaxResponseHeaderBytes caps the response headers of one
	// request: what http_headers hands the guest is bounded with them.
	extismMaxResponseHeaderBytes = 64 << 10
)

var extismHTTPFuncs = map[string]bool{"http_request": true, "http_status_code": true, "http_headers": true}

// renameHostImports points the guest's HTTP imports, and its reply
// imports (see extismreply.go), at the host's own functions; a module that
// imports none is returned as it is.
func renameHostImports(wasm []byte) ([]byte, error) {
	return wasmbin.RenameImports(wasm, func(module, name string) (string, bool) {
		switch {
		case module == extismModule && extismHTTPFuncs[name]:
			return extismHTTPModule, true
		case module == extismModule && extismReplyFuncs[name]:
			return extismReplyModule, true
		}
		return "", false
	})
}

// httpGrants is the allow-list of one plugin, compiled once.
type httpGrants struct {
	patterns []string
	globs    []glob.Glob
}

func compileHostPatterns(patterns []string) (*httpGrants, error) {
	g := &httpGrants{patterns: patterns}
	for _, p := range patterns {
		gl, err := compileHostPattern(p)
		if err != nil {
			return nil, err
		}
		g.globs = append(g.globs, gl)
	}
	return g, nil
}

// allows reports whether u may be requested: http or https, to a host that
// is granted exactly or matches a granted glob. Host names are compared
// case-insensitively, as DNS does.
func (g *httpGrants) allows(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &httpRefusal{URL: u.Redacted(), Why: fmt.Sprintf("the scheme %q is not http or https", u.Scheme)}
	}
	host := strings.ToLower(u.Hostname())
	for i, p := range g.patterns {
		if strings.EqualFold(p, host) || g.globs[i].Match(host) {
			return nil
		}
	}
	why := fmt.Sprintf("the host %q is not granted", host)
	if len(g.patterns) == 0 {
		why += " (no host is: the plugin has no network unless host.WithAllowedHosts or --allow-host grants one)"
	} else {
		why += fmt.Sprintf(" (granted: %s; host.WithAllowedHosts or --allow-host grants more)", strings.Join(g.patterns, ", "))
	}
	return &httpRefusal{URL: u.Redacted(), Why: why}
}

// httpRefusal is a request the sandbox did not send.
type httpRefusal struct {
	URL, Why string
	Redirect bool // refused at a redirect, after the first hop was sent
}

func (r *httpRefusal) Error() string {
	if r.Redirect {
		return fmt.Sprintf("HTTP redirect to %s is not allowed: %s", r.URL, r.Why)
	}
	return fmt.Sprintf("HTTP request to %s is not allowed: %s", r.URL, r.Why)
}

// extismHTTP is the HTTP of one Extism plugin: its client and the host
// functions the renamed imports resolve to.
type extismHTTP struct {
	grants    *httpGrants
	transport *http.Transport
	client    *http.Client
	maxBody   int64
}

func newExtismHTTP(grants *httpGrants, maxBody int64) *extismHTTP {
	h := &extismHTTP{grants: grants, maxBody: maxBody}
	h.transport = &http.Transport{
		Proxy:                  nil,
		DialContext:            (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: extismMaxResponseHeaderBytes,
	}
	h.client = &http.Client{
		Transport: h.transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > extismMaxRedirects {
				return &httpRefusal{URL: req.URL.Redacted(), Why: fmt.Sprintf("more than %d redirects", extismMaxRedirects), Redirect: true}
			}
			if err := h.grants.allows(req.URL); err != nil {
				var r *httpRefusal
				if errors.As(err, &r) {
					r.Redirect = true
				}
				return err
			}
			return nil
		},
	}
	return h
}

func (h *extismHTTP) close() { h.transport.CloseIdleConnections() }

// extismCallKey keys the calling extismInstance in the context of a call,
// where the host functions find it.
type extismCallKey struct{}

func callingInstance(ctx context.Context) *extismInstance {
	in, ok := ctx.Value(extismCallKey{}).(*extismInstance)
	if !ok {
		panic("llmhost: an Extism host function was called outside a call")
	}
	return in
}

// hostFunctions are the functions of extismHTTPModule.
func (h *extismHTTP) hostFunctions() []extism.HostFunction {
	i64, i32 := extism.ValueTypeI64, extism.ValueTypeI32
	req := extism.NewHostFunctionWithStack("http_request", h.request, []extism.ValueType{i64, i64}, []extism.ValueType{i64})
	status := extism.NewHostFunctionWithStack("http_status_code", func(ctx context.Context, _ *extism.CurrentPlugin, stack []uint64) {
		stack[0] = extism.EncodeI32(int32(callingInstance(ctx).httpStatus))
	}, nil, []extism.ValueType{i32})
	headers := extism.NewHostFunctionWithStack("http_headers", func(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
		in := callingInstance(ctx)
		if in.httpHeaders == nil {
			stack[0] = 0
			return
		}
		b, _ := json.Marshal(in.httpHeaders)
		off, err := p.WriteBytes(b)
		if err != nil {
			in.trap(fmt.Errorf("http_headers: the headers (%s) do not fit in the plugin's memory: %v", FormatSize(int64(len(b))), err))
		}
		stack[0] = off
	}, nil, []extism.ValueType{i64})
	fns := []extism.HostFunction{req, status, headers}
	for i := range fns {
		fns[i].SetNamespace(extismHTTPModule)
	}
	return fns
}

// request is http_request(request, body) -> response body.
func (h *extismHTTP) request(ctx context.Context, p *extism.CurrentPlugin, stack []uint64) {
	in := callingInstance(ctx)
	in.httpStatus, in.httpHeaders = 0, nil
	reqJSON, err := p.ReadBytes(stack[0])
	if err != nil {
		in.trap(fmt.Errorf("http_request: cannot read the request at offset %d: %v", stack[0], err))
	}
	p.Free(stack[0])
	var r extism.HttpRequest // the SDK's own type: the same JSON decodes the same way
	if err := json.Unmarshal(reqJSON, &r); err != nil {
		in.trap(fmt.Errorf("http_request: the request is not JSON {\"url\",\"method\",\"headers\"}: %v", err))
	}
	method := strings.ToUpper(r.Method)
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(r.Url)
	if err != nil {
		in.trap(fmt.Errorf("http_request: invalid URL %q: %v", r.Url, err))
	}
	if err := h.grants.allows(u); err != nil {
		in.trap(err)
	}
	var body io.Reader
	if stack[1] != 0 {
		n, err := p.Length(stack[1])
		if err != nil {
			in.trap(fmt.Errorf("http_request: cannot read the body at offset %d: %v", stack[1], err))
		}
		if int64(n) > h.maxBody {
			in.trap(fmt.Errorf("http_request: the request body is %s, over the %s output cap (host.WithMaxOutput sets it)", FormatSize(int64(n)), FormatSize(h.maxBody)))
		}
		b, err := p.ReadBytes(stack[1])
		if err != nil {
			in.trap(fmt.Errorf("http_request: cannot read the body at offset %d: %v", stack[1], err))
		}
		body = bytes.NewReader(bytes.Clone(b)) // b is a view of kernel memory
		p.Free(stack[1])
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		in.trap(fmt.Errorf("http_request: %v", err))
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		var refused *httpRefusal
		if errors.As(err, &refused) {
			in.trap(refused)
		}
		in.trap(fmt.Errorf("http_request: %s %s: %v", method, u.Redacted(), err))
	}
	defer resp.Body.Close()
	in.httpStatus = resp.StatusCode
	in.httpHeaders = make(map[string]string, len(resp.Header))
	for k, v := range resp.Header {
		in.httpHeaders[strings.ToLower(k)] = strings.Join(v, ",")
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, h.maxBody+1))
	if err != nil {
		in.trap(fmt.Errorf("http_request: %s %s: reading the response: %v", method, u.Redacted(), err))
	}
	if int64(len(b)) > h.maxBody {
		in.trap(fmt.Errorf("http_request: the response of %s is over the %s output cap (host.WithMaxOutput sets it)", u.Redacted(), FormatSize(h.maxBody)))
	}
	if len(b) == 0 {
		stack[0] = 0
		return
	}
	off, err := p.WriteBytes(b)
	if err != nil {
		in.trap(fmt.Errorf("http_request: the response (%s) does not fit in the plugin's memory: %v", FormatSize(int64(len(b))), err))
	}
	stack[0] = off
}
