package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// PyYAML's implicit resolvers (yaml/resolver.py, YAML 1.1), in the order PyYAML adds
// them. A plain scalar gets the tag of the first resolver, among those registered for
// its first character, whose pattern matches it; a plain scalar none matches is a string.
const (
	tagStr       = "str"
	tagBool      = "bool"
	tagFloat     = "float"
	tagInt       = "int"
	tagMerge     = "merge"
	tagNull      = "null"
	tagTimestamp = "timestamp"
	tagValue     = "value"
	tagYAML      = "yaml"
)

type resolver struct {
	tag     string
	pattern *regexp.Regexp
	first   string // the characters PyYAML registers it for; "" also means the empty value
}

// The patterns are PyYAML's with the re.X whitespace removed (spaces inside [ \t] are kept,
// as in Python). Python's `$` also matches before a final newline; plain scalars never end
// with one, and convert.go falls back if one did.
var resolvers = []resolver{
	{tagBool, regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`), "yYnNtTfFoO"},
	{tagFloat, regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`), "-+0123456789."},
	{tagInt, regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`), "-+0123456789"},
	{tagMerge, regexp.MustCompile(`^(?:<<)$`), "<"},
	{tagNull, regexp.MustCompile(`^(?:~|null|Null|NULL|)$`), "~nN"},
	{tagTimestamp, regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`), "0123456789"},
	{tagValue, regexp.MustCompile(`^(?:=)$`), "="},
	{tagYAML, regexp.MustCompile(`^(?:!|&|\*)$`), "!&*"},
}

// byFirst[c] lists the resolvers PyYAML tries for a value starting with byte c, in order.
// Every registered character is ASCII, so a value starting with any other byte is a string.
var byFirst = func() (table [128][]*resolver) {
	for i := range resolvers {
		for _, c := range []byte(resolvers[i].first) {
			table[c] = append(table[c], &resolvers[i])
		}
	}
	return table
}()

// resolvePlain is the tag PyYAML's SafeLoader gives a plain scalar without a tag.
func resolvePlain(value string) string {
	if value == "" {
		return tagNull // only the null resolver is registered for the empty value
	}
	first := value[0]
	if first >= 128 || byFirst[first] == nil {
		return tagStr
	}
	if words, ok := wordTags[value]; ok {
		return words
	}
	if first >= 'A' {
		return tagStr // letters: only the bool and null words above match
	}
	for _, r := range byFirst[first] {
		if r.pattern.MatchString(value) {
			return r.tag
		}
	}
	return tagStr
}

// wordTags are the values the bool and null patterns match, the only patterns for
// values starting with a letter (resolve_test.go checks this against the patterns).
var wordTags = map[string]string{
	"yes": tagBool, "Yes": tagBool, "YES": tagBool, "no": tagBool, "No": tagBool, "NO": tagBool,
	"true": tagBool, "True": tagBool, "TRUE": tagBool, "false": tagBool, "False": tagBool, "FALSE": tagBool,
	"on": tagBool, "On": tagBool, "ON": tagBool, "off": tagBool, "Off": tagBool, "OFF": tagBool,
	"null": tagNull, "Null": tagNull, "NULL": tagNull, "~": tagNull,
}

// pythonBool is PyYAML's construct_yaml_bool.
func pythonBool(value string) bool {
	switch strings.ToLower(value) {
	case "yes", "true", "on":
		return true
	}
	return false
}

// pythonInt is the JSON for PyYAML's construct_yaml_int of a plain int scalar, for
// decimal values that fit 18 digits; ok is false for binary, hex, octal, sexagesimal
// and longer values.
func pythonInt(value string) (json string, ok bool) {
	digits := strings.ReplaceAll(value, "_", "")
	sign := ""
	if digits != "" && (digits[0] == '-' || digits[0] == '+') {
		if digits[0] == '-' {
			sign = "-"
		}
		digits = digits[1:]
	}
	if digits == "0" {
		return "0", true
	}
	if digits == "" || len(digits) > 18 || digits[0] == '0' || !allDigits(digits) {
		return "", false
	}
	return sign + digits, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// pythonFloat is the JSON for PyYAML's construct_yaml_float of a plain float scalar:
// strconv.ParseFloat and Python's float() both round correctly, and the shortest
// exponent form reads back as the same float in json.loads. ok is false for
// underscores, sexagesimal, .inf, .nan and values that overflow.
func pythonFloat(value string) (json string, ok bool) {
	if strings.ContainsAny(value, "_:iInN") {
		return "", false
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	return strconv.FormatFloat(f, 'e', -1, 64), true
}
