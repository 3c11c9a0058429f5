//go:build unix

package datadir

import "golang.org/x/sys/unix"

const oDirectory = unix.O_DIRECTORY
