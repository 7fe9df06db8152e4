//go:build !linux

package sink

// Unwritable is Linux's check only (see fs_linux.go).
func Unwritable(path string) string { return "" }
