// Command roost-simtender is a simulated Solo5 tender for tests and demos.
// Install or link it as solo5-hvt (or solo5-hvt.2) to simulate hvt, as
// solo5-spt to simulate spt; it speaks their command line, and runs images
// written by internal/solo5test as their behaviour text says. See package
// internal/simtender.
package main
