package main

import (
	"os"

	"github.com/roostd/roost/internal/simtender"
)

func main() {
	os.Exit(simtender.Main(os.Args, os.Stdout, os.Stderr))
}
