//go:build tools

// Package tools pins Argo Rollouts' controller and kubectl plugin for the end-to-end test.
package tools

import (
	_ "github.com/argoproj/argo-rollouts/cmd/kubectl-argo-rollouts"
	_ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"
)
