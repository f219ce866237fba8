package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOnlyRegularFilesWithinTheBoundAreRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	large := filepath.Join(dir, "large.yaml")
	if err := os.WriteFile(large, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(large, maxFileBytes+1); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("a: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		fifo:                            "not a regular file", // opened without blocking
		large:                           "file too large",
		filepath.Join(dir, "gone.yaml"): "cannot open the file",
		small:                           "",
	}
	for name, want := range cases {
		if _, reason := readRegular(name); reason != want {
			t.Errorf("readRegular(%s) = %q, want %q", name, reason, want)
		}
	}
}
