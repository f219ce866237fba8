package main

import (
	"bytes"
	"unicode/utf8"
)

// pythonText is the text PyYAML parses for a file: Python reads it as UTF-8 with
// universal newlines ("\r\n" and "\r" become "\n"). Text whose reading might differ
// between libyaml and yaml.v3 in ways convert.go cannot see falls back: invalid UTF-8,
// byte order marks, characters YAML forbids, the line breaks only YAML 1.1 knows
// (U+0085, U+2028, U+2029), directives ("%" at the start of a line), anything that
// may be a tag ("!" where a token can start; yaml.v3 forgets the non-specific tag "!"),
// and tabs in indentation (libyaml rejects them; yaml.v3 skips them around comments).
// The escape \' is read here: yaml.v3 reads a quote, as kubectl's go-yaml does (Python
// rewrites it for libyaml, see guestbook/validate/goyaml.py).
func pythonText(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, fallback("not valid UTF-8")
	}
	if bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	previous := byte('\n')
	indent := true // only spaces so far on this line
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t' && indent:
				return nil, fallback("tab in indentation")
			case c == '%' && previous == '\n':
				return nil, fallback("directive")
			case c == '!' && bytes.IndexByte([]byte(" \t\n[]{},:?-"), previous) >= 0:
				return nil, fallback("tag")
			case c < 0x20 && c != '\t' && c != '\n', c == 0x7f:
				return nil, fallback("control character")
			}
			indent = c == ' ' && indent || c == '\n'
			previous = c
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == 0x85, r == 0x2028, r == 0x2029:
			return nil, fallback("unicode line break")
		case r == 0xfeff:
			return nil, fallback("byte order mark")
		case r < 0xa0, r >= 0xd800 && r < 0xe000, r == 0xfffe, r == 0xffff:
			return nil, fallback("control character")
		}
		previous = data[i+size-1]
		indent = false
		i += size
	}
	return data, nil
}
