package main

import "context"

// workload is what runs beside the UI for the command: the demo's shop,
// the tests of `spantop test`, or nothing.
func (m *Main) workload() func(ctx context.Context) error {
	switch m.Config.Command {
	case "demo":
		endpoint := m.Server.GRPCAddr()
		m.Log.Printf("demo: exporting to %s", endpoint)
		return func(ctx context.Context) error { return m.Demo(ctx, endpoint) }
	case "test":
		return m.runTests
	case "snapshot":
		if m.goTest.child {
			return m.runTests
		}
	}
	return nil
}
