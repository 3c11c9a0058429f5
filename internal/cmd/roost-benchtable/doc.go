// Command roost-benchtable turns the figures of roost's live benchmarks
// (cmd/roost, BenchmarkLive*, run with ROOST_BENCH_JSON naming a file) into
// one table: each figure beside its floor measured in the same run, the
// ratio, and the target of issue 9 with pass or miss. It prints the table
// and writes it, with the machine, the command and the date, to BENCH.md.
// `make bench` runs the benchmarks and then this.
//
//	roost-benchtable -in bin/bench.jsonl -o BENCH.md -cmd "go test ..." -go "$(go version)"
//
// A miss is reported, never an error: the table says where roost stands.
package main
