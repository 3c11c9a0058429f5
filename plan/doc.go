// Package plan compares the host a configuration declares (Desired) with the
// host as observed (Observed) and returns the steps that make the second
// equal to the first (Plan). It owns the resource types every other package
// speaks in, and it never touches the host: config produces Desired,
// platform produces Observed, apply carries out a Plan.
package plan
