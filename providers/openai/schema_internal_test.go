package openai

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStrictSchema(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{
			// Mirascope's Book, as recorded in
			// test_structured_output/strict: the sent schema is the input with
			// additionalProperties closing each object, keys in their order.
			name: "recorded Book",
			in:   `{"$defs": {"Author": {"description": "The author of a book.", "properties": {"first_name": {"title": "First Name", "type": "string"}, "last_name": {"title": "Last Name", "type": "string"}}, "required": ["first_name", "last_name"], "title": "Author", "type": "object"}}, "description": "A book with a rating. The title should be in all caps!", "properties": {"title": {"title": "Title", "type": "string"}, "author": {"$ref": "#/$defs/Author"}, "rating": {"description": "For testing purposes, the rating should be 7", "title": "Rating", "type": "integer"}}, "required": ["title", "author", "rating"], "title": "Book", "type": "object"}`,
			want: `{"$defs":{"Author":{"description":"The author of a book.","properties":{"first_name":{"title":"First Name","type":"string"},"last_name":{"title":"Last Name","type":"string"}},"required":["first_name","last_name"],"title":"Author","type":"object","additionalProperties":false}},"description":"A book with a rating. The title should be in all caps!","properties":{"title":{"title":"Title","type":"string"},"author":{"$ref":"#/$defs/Author"},"rating":{"description":"For testing purposes, the rating should be 7","title":"Rating","type":"integer"}},"required":["title","author","rating"],"title":"Book","type":"object","additionalProperties":false}`,
		},
		{
			name: "optional properties become required, in property order",
			in:   `{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}},"required":["a"]}`,
			want: `{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}},"required":["b","a"],"additionalProperties":false}`,
		},
		{
			name: "objects in items, anyOf, nullable types and definitions",
			in:   `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}}}},"x":{"anyOf":[{"type":"object","properties":{}},{"type":"null"}]},"y":{"type":["object","null"],"properties":{"z":{"type":"number"}}}},"definitions":{"D":{"type":"object"}}}`,
			want: `{"type":"object","properties":{"tags":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}},"additionalProperties":false,"required":["k"]}},"x":{"anyOf":[{"type":"object","properties":{},"additionalProperties":false,"required":[]},{"type":"null"}]},"y":{"type":["object","null"],"properties":{"z":{"type":"number"}},"additionalProperties":false,"required":["z"]}},"definitions":{"D":{"type":"object","additionalProperties":false}},"additionalProperties":false,"required":["tags","x","y"]}`,
		},
		{
			name: "an explicit additionalProperties is the caller's",
			in:   `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}},"additionalProperties":true}`,
			want: `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}},"additionalProperties":true,"required":["m"]}`,
		},
		{
			name: "data is not schema, numbers stay exact",
			in:   `{"type":"object","properties":{"p":{"type":"object","properties":{},"default":{"type":"object"},"enum":[{"type":"object"}]},"n":{"type":"number","maximum":1e400,"minimum":0.10000000000000000001}}}`,
			want: `{"type":"object","properties":{"p":{"type":"object","properties":{},"default":{"type":"object"},"enum":[{"type":"object"}],"additionalProperties":false,"required":[]},"n":{"type":"number","maximum":1e400,"minimum":0.10000000000000000001}},"additionalProperties":false,"required":["p","n"]}`,
		},
		{
			name: "property names that are keywords",
			in:   `{"type":"object","properties":{"type":{"type":"string"},"properties":{"type":"object","properties":{}}}}`,
			want: `{"type":"object","properties":{"type":{"type":"string"},"properties":{"type":"object","properties":{},"additionalProperties":false,"required":[]}},"additionalProperties":false,"required":["type","properties"]}`,
		},
		{
			name: "not an object schema",
			in:   `{"type":"string","enum":["a","b"]}`,
			want: `{"type":"string","enum":["a","b"]}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := strictSchema([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, string(got)); d != "" {
				t.Errorf("strict schema, byte for byte (-want +got):\n%s", d)
			}
		})
	}
}

func TestStrictSchemaRejectsBrokenJSON(t *testing.T) {
	for _, in := range []string{``, `{"type":`, `{"a":1} {"b":2}`, `{"a":1]`} {
		if got, err := strictSchema([]byte(in)); err == nil {
			t.Errorf("strictSchema(%q) = %s, want an error", in, got)
		}
	}
}
