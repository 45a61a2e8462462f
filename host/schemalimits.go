package host

import "github.com/llmhost/llmhost/internal/schemaguard"

// SchemaLimits bound the work the host does on a tool's parameter schema,
// which comes from the plugin, and on the arguments checked against it,
// which come from the model: both untrusted. The zero value of a field
// means its default (see the fields' documentation); a negative value means
// no limit. Schemas over a limit fail Load, and arguments over one fail the
// call with ReasonInvalidArguments, each naming the limit.
type SchemaLimits = schemaguard.Limits

// WithSchemaLimits changes the bounds on tool schemas and arguments from
// their defaults (512 KiB, nesting 64 and 2,048 subschemas for a schema;
// 8 MiB, nesting 128 and a bounded validation work for arguments).
func WithSchemaLimits(l SchemaLimits) Option { return func(c *config) { c.schemaLimits = l } }
