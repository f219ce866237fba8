package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fallback is why a file is left to the Python reader.
type fallback string

func (f fallback) Error() string { return string(f) }

const quotedOrBlock = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle

// convertFile is a file's JSON entry: {"documents": [[line, object, lines], ...]}.
//
// Each document is what guestbook's read_documents builds: the line of its root node,
// the object as PyYAML's SafeLoader constructs it, and the 1-based line of every field
// in depth-first order (a mapping entry has its key's line, a sequence item its own).
// Empty documents are skipped, as there. Anything else falls back.
func convertFile(data []byte) ([]byte, error) {
	text, err := pythonText(data)
	if err != nil {
		return nil, err
	}
	decoder := yaml.NewDecoder(bytes.NewReader(text))
	var out bytes.Buffer
	out.WriteString(`{"documents":[`)
	documents := 0
	for {
		var document yaml.Node
		err := decode(decoder, &document)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fallback("YAML error")
		}
		if document.Kind != yaml.DocumentNode || len(document.Content) != 1 {
			return nil, fallback("unexpected document structure")
		}
		root := document.Content[0]
		if isNull(root) {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return nil, fallback("document is not a mapping")
		}
		if documents > 0 {
			out.WriteByte(',')
		}
		documents++
		c := converter{out: &out}
		fmt.Fprintf(&out, "[%d,", root.Line)
		if err := c.node(root); err != nil {
			return nil, err
		}
		out.WriteString(",[")
		for i, line := range c.lines {
			if i > 0 {
				out.WriteByte(',')
			}
			out.WriteString(strconv.Itoa(line))
		}
		out.WriteString("]]")
	}
	out.WriteString("]}")
	return out.Bytes(), nil
}

// decode turns a panic inside yaml.v3 into an error: that file falls back.
func decode(decoder *yaml.Decoder, node *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml.v3 panicked: %v", r)
		}
	}()
	return decoder.Decode(node)
}

// isNull reports a document PyYAML constructs as None (an empty document, `~`, `null`).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style == 0 && n.Anchor == "" && resolvePlain(n.Value) == tagNull
}

// converter writes one document's object as JSON and collects its field lines.
type converter struct {
	out   *bytes.Buffer
	lines []int
	flow  int // how many flow collections ([...], {...}) enclose the current node
	depth int // how many collections enclose it
}

// maxDepth bounds nesting: Python's json.loads and PyYAML recurse, and give up at
// about a thousand levels; manifests nest a few dozen at most.
const maxDepth = 100

// annotated refuses a node with an anchor or an explicit tag, which PyYAML resolves its own way.
func annotated(n *yaml.Node) error {
	if n.Anchor != "" {
		return fallback("anchor")
	}
	if n.Style&yaml.TaggedStyle != 0 {
		return fallback("tag")
	}
	return nil
}

func (c *converter) node(n *yaml.Node) error {
	if err := annotated(n); err != nil {
		return err
	}
	if n.Kind == yaml.ScalarNode {
		return c.scalar(n)
	}
	if n.Kind == yaml.AliasNode {
		return fallback("alias")
	}
	if c.depth == maxDepth {
		return fallback("deep nesting")
	}
	flow := 0
	if n.Style&yaml.FlowStyle != 0 {
		flow = 1
	}
	c.flow += flow
	c.depth++
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		err = c.mapping(n)
	case yaml.SequenceNode:
		err = c.sequence(n)
	default:
		err = fallback("unexpected node kind")
	}
	c.flow -= flow
	c.depth--
	return err
}

// checkPlain refuses plain scalars that libyaml reads differently from yaml.v3: in a flow
// collection, libyaml rejects "x:" right before , ? [ ] { or }, where yaml.v3 reads "x:".
func (c *converter) checkPlain(value string) error {
	if strings.HasSuffix(value, "\n") {
		return fallback("plain scalar ending in a line break")
	}
	if c.flow > 0 && strings.HasSuffix(value, ":") {
		return fallback("flow scalar ending in ':'")
	}
	return nil
}

func (c *converter) mapping(n *yaml.Node) error {
	if len(n.Content)%2 != 0 {
		return fallback("unexpected mapping structure")
	}
	names := make([]string, 0, len(n.Content)/2)
	var seen map[string]struct{} // for large mappings; small ones compare names
	if len(n.Content) > 32 {
		seen = make(map[string]struct{}, len(n.Content)/2)
	}
	c.out.WriteByte('{')
	for i := 0; i < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		name, err := c.key(key)
		if err != nil {
			return err
		}
		if duplicate(name, names, seen) {
			return fallback("duplicate key")
		}
		names = append(names, name)
		if seen != nil {
			seen[name] = struct{}{}
		}
		if i > 0 {
			c.out.WriteByte(',')
		}
		if err := writeString(c.out, name); err != nil {
			return err
		}
		c.out.WriteByte(':')
		c.lines = append(c.lines, key.Line)
		if err := c.node(value); err != nil {
			return err
		}
	}
	c.out.WriteByte('}')
	return nil
}

func duplicate(name string, names []string, seen map[string]struct{}) bool {
	if seen != nil {
		_, found := seen[name]
		return found
	}
	for _, other := range names {
		if other == name {
			return true
		}
	}
	return false
}

func (c *converter) sequence(n *yaml.Node) error {
	c.out.WriteByte('[')
	for i, item := range n.Content {
		if i > 0 {
			c.out.WriteByte(',')
		}
		c.lines = append(c.lines, item.Line)
		if err := c.node(item); err != nil {
			return err
		}
	}
	c.out.WriteByte(']')
	return nil
}

// key is a mapping key that PyYAML constructs as a str; other keys fall back.
func (c *converter) key(key *yaml.Node) (string, error) {
	if key.Kind != yaml.ScalarNode {
		return "", fallback("complex key")
	}
	if err := annotated(key); err != nil {
		return "", err
	}
	if key.Style&quotedOrBlock == 0 {
		if err := c.checkPlain(key.Value); err != nil {
			return "", err
		}
		if tag := resolvePlain(key.Value); tag != tagStr {
			return "", fallback(tag + " key")
		}
	}
	return key.Value, nil
}

func (c *converter) scalar(n *yaml.Node) error {
	if n.Style&quotedOrBlock != 0 {
		return writeString(c.out, n.Value)
	}
	if err := c.checkPlain(n.Value); err != nil {
		return err
	}
	switch tag := resolvePlain(n.Value); tag {
	case tagStr:
		return writeString(c.out, n.Value)
	case tagNull:
		c.out.WriteString("null")
	case tagBool:
		c.out.WriteString(strconv.FormatBool(pythonBool(n.Value)))
	case tagInt:
		json, ok := pythonInt(n.Value)
		if !ok {
			return fallback("int other than decimal")
		}
		c.out.WriteString(json)
	case tagFloat:
		json, ok := pythonFloat(n.Value)
		if !ok {
			return fallback("float other than decimal")
		}
		c.out.WriteString(json)
	default:
		return fallback(tag + " value")
	}
	return nil
}
