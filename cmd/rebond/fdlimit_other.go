//go:build !unix

package main

// openFileLimit is unknown here: smtp.max_connections is used as it is.
func openFileLimit() int { return 0 }
