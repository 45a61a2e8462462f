// Package schemaguard compiles and applies JSON Schemas that an untrusted
// party controls, within stated bounds.
//
// Schemas come from plugins (a tool's parameters) and instances from models
// (tool arguments, structured answers). Neither is trusted, and the
// validator underneath, santhosh-tekuri/jsonschema/v6, has no deadline and no
// memory bound: a $ref graph whose every definition is used twice expands
// exponentially, deep nesting makes compilation super-linear, a number such
// as 1e999999999 makes its big.Rat arithmetic allocate gigabytes, and every
// failing anyOf branch keeps its error tree. This package puts a bound in
// front of each of those costs:
//
//   - Before compiling, the schema document is measured: bytes, nesting
//     depth, number of objects (an upper bound on subschemas), and the size
//     and exponent of every number literal. References must stay inside the
//     document; file://, http(s):// and every other outside reference is
//     refused with an error naming it.
//   - After compiling, the schema graph is measured: a reference cycle that
//     does not descend into the instance (an infinite loop) is refused, and
//     the size of the schema with every $ref expanded must stay under
//     Limits.ExpandedSubschemas.
//   - Before validating, the instance is measured (bytes, depth, numbers) and
//     the validation work is counted exactly as the validator would do it at
//     most: for each value of the instance, how many times each subschema
//     will be applied to it. Validation runs only when that count is within
//     Limits.Work, so its cost is bounded by Work, whatever the schema and
//     the instance.
//
// Every refusal is a *LimitError (or a *RefError) naming what was measured,
// the limit, and the Limits field that changes it.
package schemaguard
