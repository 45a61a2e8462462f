package openai

import (
	"net/http"
	"testing"
	"time"

	"github.com/llmhost/llmhost/llm"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		headers []string
		want    time.Duration
	}{
		{"none", nil, 0},
		{"seconds", []string{"Retry-After", "7"}, 7 * time.Second},
		{"fractional seconds", []string{"Retry-After", "0.25"}, 250 * time.Millisecond},
		{"milliseconds", []string{"retry-after-ms", "1500"}, 1500 * time.Millisecond},
		{"milliseconds win", []string{"Retry-After", "2", "retry-after-ms", "1500"}, 1500 * time.Millisecond},
		{"unusable milliseconds fall back", []string{"Retry-After", "2", "retry-after-ms", "soon"}, 2 * time.Second},
		{"HTTP date", []string{"Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		{"HTTP date in the past", []string{"Retry-After", now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"zero", []string{"Retry-After", "0"}, 0},
		{"negative", []string{"Retry-After", "-5"}, 0},
		{"garbage", []string{"Retry-After", "later"}, 0},
		{"not a number", []string{"Retry-After", "NaN"}, 0},
		{"absurd", []string{"Retry-After", "1e30"}, maxRetryAfter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i < len(tc.headers); i += 2 {
				h.Set(tc.headers[i], tc.headers[i+1])
			}
			if got := retryAfter(h, now); got != tc.want {
				t.Errorf("retryAfter(%v) = %v, want %v", tc.headers, got, tc.want)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	cases := []struct {
		status int
		code   any
		want   llm.Kind
	}{
		{400, nil, llm.KindBadRequest},
		{400, "unsupported_parameter", llm.KindBadRequest},
		{400, "model_not_found", llm.KindNotFound},
		{404, "model_not_found", llm.KindNotFound},
		{401, "invalid_api_key", llm.KindAuthentication},
		{403, nil, llm.KindPermission},
		{408, nil, llm.KindTimeout},
		{409, nil, llm.KindBadRequest},
		{422, nil, llm.KindBadRequest},
		{429, "rate_limit_exceeded", llm.KindRateLimit},
		{500, nil, llm.KindServer},
		{529, nil, llm.KindServer},
		{599, nil, llm.KindServer},
		{304, nil, llm.KindResponseValidation},
	}
	for _, tc := range cases {
		if got := kindOf(tc.status, tc.code); got != tc.want {
			t.Errorf("kindOf(%d, %v) = %s, want %s", tc.status, tc.code, got, tc.want)
		}
	}
}
