//go:build tools

// Package tools pins metrics-server for the end-to-end test (see ../README.md).
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
