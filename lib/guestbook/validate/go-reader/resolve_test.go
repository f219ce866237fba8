package main

import "testing"

// The tags PyYAML's SafeLoader gives these plain scalars (yaml.safe_load("k: " + value)).
func TestResolvePlainLikePyYAML(t *testing.T) {
	cases := map[string]string{
		"": tagNull, "~": tagNull, "null": tagNull, "Null": tagNull, "NULL": tagNull, "nULL": tagStr,
		"yes": tagBool, "No": tagBool, "ON": tagBool, "off": tagBool, "y": tagStr, "n": tagStr, "tRUE": tagStr,
		"0": tagInt, "-0": tagInt, "+5": tagInt, "1_000": tagInt, "0777": tagInt, "0x1F": tagInt, "0b11": tagInt,
		"12:30": tagInt, "08": tagStr, "1e3": tagStr, "1.5e3": tagStr, "1.5e+3": tagFloat, "1.": tagFloat,
		".5": tagFloat, "-.5": tagStr, "+.inf": tagFloat, ".NaN": tagFloat, "190:20:30.15": tagFloat,
		"2001-12-14": tagTimestamp, "2001-12-14 21:59:43.10 -5": tagTimestamp, "2001-1-1": tagStr,
		"<<": tagMerge, "=": tagValue, "100m": tagStr, "v1": tagStr, "é": tagStr,
	}
	for value, want := range cases {
		if got := resolvePlain(value); got != want {
			t.Errorf("resolvePlain(%q) = %s, want %s", value, got, want)
		}
	}
}

func TestOnlyDecimalIntsAreNative(t *testing.T) {
	cases := map[string]string{"0": "0", "-0": "0", "+5": "5", "-42": "-42", "1_000": "1000", "999999999999999999": "999999999999999999"}
	for value, want := range cases {
		if got, ok := pythonInt(value); !ok || got != want {
			t.Errorf("pythonInt(%q) = %q, %v; want %q", value, got, ok, want)
		}
	}
	for _, value := range []string{"0777", "0x1F", "0b11", "12:30", "1000000000000000000", "0_1"} {
		if got, ok := pythonInt(value); ok {
			t.Errorf("pythonInt(%q) = %q, want a fallback", value, got)
		}
	}
}

func TestFloatsReadBackExactly(t *testing.T) {
	cases := map[string]string{"0.5": "5e-01", "1.": "1e+00", "-0.0": "-0e+00", ".5": "5e-01", "1.5e+3": "1.5e+03", "1.10": "1.1e+00"}
	for value, want := range cases {
		if got, ok := pythonFloat(value); !ok || got != want {
			t.Errorf("pythonFloat(%q) = %q, %v; want %q", value, got, ok, want)
		}
	}
	for _, value := range []string{".inf", "-.Inf", ".nan", "1_0.5", "190:20:30.15", "1.0e+400"} {
		if got, ok := pythonFloat(value); ok {
			t.Errorf("pythonFloat(%q) = %q, want a fallback", value, got)
		}
	}
}

// The shortcut for words and letters gives what PyYAML's patterns give.
func TestWordsMatchThePatterns(t *testing.T) {
	for word, tag := range wordTags {
		if got := resolveByPatterns(word); got != tag {
			t.Errorf("%q: the patterns say %s, wordTags %s", word, got, tag)
		}
	}
	for c := 'A'; c < 128; c++ {
		for _, r := range byFirst[c] {
			if r.tag != tagBool && r.tag != tagNull {
				t.Errorf("%q starts values of %s, not only of the words", c, r.tag)
			}
		}
	}
}

func resolveByPatterns(value string) string {
	for _, r := range byFirst[value[0]] {
		if r.pattern.MatchString(value) {
			return r.tag
		}
	}
	return tagStr
}
