// Package wire holds the message formats of the discovery protocols that
// both sides of the scanner read: WS-Discovery (ONVIF), Hikvision SADP and
// Dahua DHIP. The probers send the queries and parse the answers; the
// passive listener parses the same messages when it overhears them. Each
// parser is bounded and never fails on hostile input with more than an
// error.
package wire
