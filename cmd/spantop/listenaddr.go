package main

import (
	"fmt"
	"net"
	"strconv"
)

// checkListenAddr accepts what --grpc and --http take: empty (off) or
// host:port with a numeric port, host optional. A bad address is a bad
// command line (exit status 2), found before anything is bound.
func checkListenAddr(flag, addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("invalid value %q for flag --%s: want host:port, e.g. 127.0.0.1:4317", addr, flag)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return usageError{fmt.Sprintf("invalid value %q for flag --%s: the port must be a number from 0 to 65535", addr, flag)}
	}
	return nil
}
