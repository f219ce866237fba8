package main

import (
	"bytes"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// writeString writes s as a JSON string: quotes, backslashes and control characters
// escaped, everything else as UTF-8. Text that is not valid UTF-8 falls back.
func writeString(out *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fallback("string is not valid UTF-8")
	}
	out.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case '\n':
			out.WriteString(`\n`)
		case '\t':
			out.WriteString(`\t`)
		default:
			out.WriteString(`\u00`)
			out.WriteByte(hex[c>>4])
			out.WriteByte(hex[c&0xf])
		}
		start = i + 1
	}
	out.WriteString(s[start:])
	out.WriteByte('"')
	return nil
}
