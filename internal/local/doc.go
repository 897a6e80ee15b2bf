// Package local runs kubechain without a cluster: the real hooks, driven by
// internal/runner's emulation of Metacontroller, over objects held in
// memory. `hookserver run` and the scenario tests are built on it.
package local
