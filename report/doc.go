// Package report renders a tarball.Result for people (Text) and for
// programs (JSON). It computes nothing and opens nothing: every value it
// prints comes from the Result.
//
// The JSON document is described in docs/schema/report.schema.json, the
// rows of the tables in docs/schema/images.schema.json and
// docs/schema/history.schema.json; an archive that cannot be read gets
// the Unreadable document. Keys are snake_case, digests are full
// "sha256:…" strings, layers are in image order, a key whose value does
// not exist is left out, and the document ends with one newline.
//
// The text report keeps its lines under 100 columns; the tables follow
// docker's, and so do --format templates over their rows
// (ImagesTemplate, HistoryTemplate).
package report
