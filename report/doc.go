// Package report renders a tarball.Result for people (Text) and for
// programs (JSON). It computes nothing and opens nothing: every value it
// prints comes from the Result.
//
// The JSON document is described in docs/json-schema.json; its keys are
// snake_case, digests are full "sha256:…" strings, layers are in image
// order and the document ends with one newline.
package report
