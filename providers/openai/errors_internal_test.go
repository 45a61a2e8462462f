package openai

import (
	"testing"

	"github.com/llmhost/llmhost/llm"
)

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
