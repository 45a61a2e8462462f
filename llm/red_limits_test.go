package llm_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmhost/llmhost/llm"
)

// readThrough serves body with content type ct and reads it whole through
// a client limited by l.
func readThrough(t *testing.T, ct, body string, l llm.ResponseLimits) (int, error) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	resp, err := llm.LimitResponses(srv.Client(), l).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return len(b), err
}

// TestMaxValuesCountsOnlyStructure: brackets and commas inside strings,
// escaped quotes included, are text, not values: a long answer full of
// them passes, while the same count as JSON structure fails with the
// error naming ResponseLimits.MaxValues.
func TestMaxValuesCountsOnlyStructure(t *testing.T) {
	l := llm.ResponseLimits{MaxValues: 100}
	text := strings.Repeat(`{[,\"{[,\\`, 10_000) // escaped quote, then an escaped backslash
	body := `{"choices":[{"message":{"content":"` + text + `"}}]}`
	if n, err := readThrough(t, "application/json", body, l); err != nil || n != len(body) {
		t.Fatalf("a body of 5 values with brackets in its text: read %d of %d bytes, %v", n, len(body), err)
	}
	stream := strings.Repeat(`data: {"a":[1,2,3],"t":"`+text[:200]+`"}`+"\n\n", 1000)
	if n, err := readThrough(t, "text/event-stream", stream, l); err != nil || n != len(stream) {
		t.Fatalf("1,000 events of 4 values each: read %d of %d bytes, %v", n, len(stream), err)
	}
	for _, c := range []struct{ ct, body, what string }{
		{"application/json", `{"choices":[` + strings.Repeat(`{},`, 200) + `{}]}`, "the response body"},
		{"text/event-stream", `data: {"choices":[` + strings.Repeat(`{},`, 200) + `{}]}` + "\n\n", "a server-sent event"},
		// A string cut by a raw line end is not JSON; the text after it counts.
		{"application/json", `{"a":"` + "\n" + strings.Repeat(`{},`, 200) + `"}`, "the response body"},
	} {
		n, err := readThrough(t, c.ct, c.body, l)
		var e *llm.Error
		if !errors.As(err, &e) || !errors.Is(err, llm.ErrResponseTooLarge) || e.Kind != llm.KindResponseValidation {
			t.Fatalf("%s of 401 values: read %d bytes, got %v; want response_validation caused by ErrResponseTooLarge", c.ct, n, err)
		}
		for _, s := range []string{c.what, "ResponseLimits.MaxValues", "100 values", "llm.LimitResponses"} {
			if !strings.Contains(e.Message, s) {
				t.Errorf("the message %q does not name %q", e.Message, s)
			}
		}
	}
	// Error bodies are bounded by MaxErrorBody alone.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":[`+strings.Repeat(`{},`, 200)+`{}]}`)
	}))
	defer srv.Close()
	resp, err := llm.LimitResponses(srv.Client(), l).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Errorf("an error body is not counted: %v", err)
	}
	if got := llm.DefaultResponseLimits().MaxValues; got != llm.DefaultMaxValues {
		t.Errorf("default MaxValues %d, want %d", got, llm.DefaultMaxValues)
	}
}
