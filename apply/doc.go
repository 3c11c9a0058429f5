// Package apply carries out a plan.Plan against a Host: steps in dependency
// order (bridges, blocks, then unikernels by depends_on; destroys in
// reverse), independent steps in parallel, state recorded only after a step
// succeeds. It also holds the watch loop (watch.go, watch_pass.go), which
// reaches the configuration, the host and its drift through the small
// interfaces ConfigSource, WatchHost and DriftSource, and reports
// WatchEvents that cmd/roost/views renders.
package apply
