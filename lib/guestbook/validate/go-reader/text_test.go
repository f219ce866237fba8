package main

import "testing"

func TestTextThatMightReadDifferentlyFallsBack(t *testing.T) {
	cases := map[string]string{
		"\xef\xbb\xbfa: 1\n":     "byte order mark",
		"a: M\xfcnchen\n":        "not valid UTF-8",
		"%YAML 1.1\n---\na: 1\n": "directive",
		"a: ! 1\n":               "tag",
		"a: [!!str 1]\n":         "tag",
		"# c\n\t# c\na: 1\n":     "tab in indentation",
		"a: b\u0085c\n":          "unicode line break",
		"a: \x01\n":              "control character",
	}
	for text, want := range cases {
		if _, err := pythonText([]byte(text)); err == nil || err.Error() != want {
			t.Errorf("pythonText(%q) = %v, want %q", text, err, want)
		}
	}
}

func TestTextPythonReadsAsIsOrWithUniversalNewlines(t *testing.T) {
	cases := map[string]string{
		"a: b!\n":         "a: b!\n",
		"a: b\tc # d\n":   "a: b\tc # d\n",
		"a: 1\r\nb: 2\r":  "a: 1\nb: 2\n",
		"a: é\n":          "a: é\n",
		"a: \"it\\'s\"\n": "a: \"it\\'s\"\n", // kubectl's go-yaml reads a quote, as yaml.v3 does
	}
	for text, want := range cases {
		if got, err := pythonText([]byte(text)); err != nil || string(got) != want {
			t.Errorf("pythonText(%q) = %q, %v; want %q", text, got, err, want)
		}
	}
}
