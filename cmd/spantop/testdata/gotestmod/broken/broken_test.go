// Package broken does not compile, on purpose: `spantop snapshot -- go
// test` must fail like go test when a build fails.
package broken

import "testing"

func TestNeverBuilt(t *testing.T) {
	var n int = "not a number"
	_ = n
}
