package llm

import (
	"net/http"
	"testing"
	"time"
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
			if got := RetryAfter(h, now); got != tc.want {
				t.Errorf("RetryAfter(%v) = %v, want %v", tc.headers, got, tc.want)
			}
		})
	}
}

func TestKindForStatus(t *testing.T) {
	for status, want := range map[int]Kind{
		400: KindBadRequest, 401: KindAuthentication, 403: KindPermission, 404: KindNotFound,
		408: KindTimeout, 409: KindBadRequest, 413: KindBadRequest, 422: KindBadRequest,
		429: KindRateLimit, 500: KindServer, 503: KindServer, 529: KindServer, 302: KindResponseValidation,
	} {
		if got := KindForStatus(status); got != want {
			t.Errorf("KindForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}
