// Package fingerprint turns the evidence a sweep collected about one host
// into a verdict: what the device is (camera, recorder, other, unknown), the
// brand it carries, who really made it, its model, firmware and serial, how
// sure that is, and why.
//
// The knowledge lives in data, not code, in the spirit of rapid7/recog:
// rules/<field>.yaml files, embedded, each rule matching one evidence field
// with a regular expression and carrying examples that the tests (and
// `camsweep rules verify`) execute; rules/oem.yaml maps brands to the
// companies that make them (white-label Hikvision and Dahua); and an OUI
// table generated from the whole IEEE registry names every MAC block.
//
// The package does no I/O beyond reading rule files it is asked to load.
// See docs/fingerprint.md for the rule format and how to extend it.
package fingerprint
