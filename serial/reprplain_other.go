//go:build !amd64 || purego

package serial

func reprPlain(s string) bool { return reprPlainGo(s) }
