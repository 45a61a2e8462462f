package replay

import "strings"

// eventSeparators end an SSE event. Google frames events with CRLF, the
// others with LF; the spec also allows a lone CR.
var eventSeparators = []string{"\r\n\r\n", "\n\n", "\r\r"}

// splitEvents splits an SSE body into events, each keeping its own trailing
// blank line, so that joining them gives back the body byte for byte. A tail
// without a final blank line is returned as a last event.
func splitEvents(body string) []string {
	var events []string
	for body != "" {
		end := -1
		for _, sep := range eventSeparators {
			if i := strings.Index(body, sep); i >= 0 && (end < 0 || i+len(sep) < end) {
				end = i + len(sep)
			}
		}
		if end < 0 {
			end = len(body)
		}
		events = append(events, body[:end])
		body = body[end:]
	}
	return events
}

// cutInsideData returns a prefix of event that ends in the middle of its
// first data: line, so a client reads a line that never completes.
func cutInsideData(event string) string {
	start := strings.Index(event, "data:")
	if start < 0 {
		return event[:len(event)/2]
	}
	line := event[start:]
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	// Keep "data:" and half of its payload (at least one byte of it when
	// there is one), never the line end.
	payload := len(line) - len("data:")
	return event[:start+len("data:")+(payload+1)/2]
}
