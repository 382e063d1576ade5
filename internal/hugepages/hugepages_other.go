//go:build !linux

package hugepages

func start() {}
