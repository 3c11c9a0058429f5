package simtender

// Exported for the tests in package simtender_test.
var (
	ARPRequestFrame  = arpRequestFrame
	EchoRequestFrame = echoRequestFrame
	Checksum         = checksum
)
