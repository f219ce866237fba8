// Command guestbook-reader reads Kubernetes manifest files for `guestbook validate`.
//
// It reads NUL-separated file names on stdin, parses the files concurrently with
// gopkg.in/yaml.v3 and writes one JSON array to stdout, one entry per file, in order, each
// entry on a line of its own (so a caller can keep an entry's bytes without encoding it again):
//
//	{"documents": [[line, object, lines], ...]}  the file's documents, exactly as
//	                                             guestbook's Python reader builds them
//	{"fallback": "why"}                          anything unusual: Python reads the file
//
// Exit status 0 means the JSON is complete; any other status is a bug or an I/O
// problem, reported on stderr.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
)

func main() {
	// A short-lived process: collect garbage less often than by default.
	debug.SetGCPercent(400)
	names, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading file names: %v", err)
	}
	results := readAll(splitNames(names), runtime.GOMAXPROCS(0))
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	out.WriteByte('[')
	for i, result := range results {
		if i > 0 {
			out.WriteString(",\n")
		}
		out.Write(result)
	}
	out.WriteString("]\n")
	if err := out.Flush(); err != nil {
		fail("writing results: %v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "guestbook-reader: "+format+"\n", args...)
	os.Exit(1)
}

func splitNames(data []byte) []string {
	var names []string
	for _, name := range bytes.Split(data, []byte{0}) {
		if len(name) > 0 {
			names = append(names, string(name))
		}
	}
	return names
}

// readAll reads every file with `workers` goroutines; the results keep the order of names.
func readAll(names []string, workers int) [][]byte {
	results := make([][]byte, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = readFile(names[i])
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// readFile is one file's JSON entry; it never fails, it falls back.
func readFile(name string) []byte {
	data, reason := readRegular(name)
	if reason != "" {
		return fallbackEntry(reason)
	}
	entry, err := convertFile(data)
	if err != nil {
		return fallbackEntry(err.Error())
	}
	return entry
}

// readRegular is the content of a regular file. Anything else (a FIFO would block until
// someone writes to it) is opened without blocking and left to Python, which says what it is.
func readRegular(name string) (data []byte, reason string) {
	file, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "cannot open the file"
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return nil, "not a regular file"
	}
	if info.Size() > maxFileBytes {
		return nil, "file too large"
	}
	data, err = io.ReadAll(io.LimitReader(file, maxFileBytes+1))
	if err != nil {
		return nil, "cannot read the file"
	}
	if len(data) > maxFileBytes {
		return nil, "file too large"
	}
	return data, ""
}

// maxFileBytes bounds the memory one file may take; Python reports larger files
// (MAX_FILE_BYTES in guestbook/validate/limits.py).
const maxFileBytes = 32 << 20

func fallbackEntry(reason string) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"fallback":`)
	writeString(&buf, reason)
	buf.WriteByte('}')
	return buf.Bytes()
}
